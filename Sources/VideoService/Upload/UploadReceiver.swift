import DouyinHTTP
import DouyinModels
import Foundation
import Hummingbird
import NIOCore
import _NIOFileSystem

/// What a publish request carried: its text fields and the `data` file, on disk.
struct ReceivedUpload {
    var fields: [(String, String)] = []
    /// Where the file part was written; nil when there was none.
    var file: String?
    var fileBytes = 0
}

/// Streams a `multipart/form-data` body: the `data` part goes to a temp file as
/// it arrives, counted against the upload limit; other parts are parameters.
///
/// Past the limit nothing more is written, and the rest of the body is read and
/// dropped up to limit + 1 MiB, so a client that sends everything before it
/// reads still gets the 413 (API.md 6.5).
struct UploadReceiver {
    let limit: Int
    let scratchDirectory: String
    static let maxTextBytes = 64 * 1024
    static let drainAllowance = 1 << 20

    /// - Parameter declaredLength: the request's `Content-Length`: a body that ends before it
    ///   was cut off, and is refused however complete its parts look.
    func receive(_ body: RequestBody, boundary: String, declaredLength: Int?) async throws -> ReceivedUpload {
        // Known too large from its head: answered at once, the body drained after the answer.
        if let declaredLength, declaredLength > limit + Self.drainAllowance {
            throw DouyinError(.payloadTooLarge, "request body too large for a \(limit)-byte upload")
        }
        let path = "\(scratchDirectory)/\(UUID().uuidString.lowercased()).part"
        var upload = ReceivedUpload()
        let state = PartState()
        let parser = MultipartReader(boundary: boundary)
        parser.onHeader = { name, value in
            if name.lowercased() == "content-disposition" { state.name = MultipartForm.partName(fromContentDisposition: value) }
        }
        parser.onBody = { chunk in
            var chunk = chunk
            if state.name == MultipartForm.filePartName {
                state.fileChunk.writeBuffer(&chunk)
            } else {
                state.text += chunk.readableBytesView
                state.textBytes += chunk.readableBytes
            }
        }
        parser.onPartComplete = {
            state.completed.append((state.name, state.text))
            if state.name == MultipartForm.filePartName { state.sawFile = true }
            state.name = nil
            state.text = []
        }
        do {
            try await FileSystem.shared.withFileHandle(forWritingAt: FilePath(path), options: .newFile(replaceExisting: true)) { handle in
                var offset: Int64 = 0
                var bodyBytes = 0
                for try await chunk in body {
                    bodyBytes += chunk.readableBytes
                    if upload.fileBytes > limit {
                        // Over the limit: read on (bounded) so the client can read our answer.
                        if bodyBytes > limit + Self.drainAllowance { break }
                        continue
                    }
                    // Whatever the parts, a body cannot be larger than a whole upload and its fields.
                    guard bodyBytes <= limit + Self.drainAllowance else {
                        throw DouyinError(.payloadTooLarge, "request body too large")
                    }
                    do {
                        try parser.read(chunk)
                    } catch {
                        throw DouyinError(.invalidParameter, "malformed multipart body: \(error)")
                    }
                    guard state.textBytes <= Self.maxTextBytes else { throw DouyinError(.payloadTooLarge, "form fields too large") }
                    upload.fileBytes += state.fileChunk.readableBytes
                    if upload.fileBytes <= limit, state.fileChunk.readableBytes > 0 {
                        offset += Int64(try await handle.write(contentsOf: state.fileChunk.readableBytesView, toAbsoluteOffset: offset))
                    }
                    state.fileChunk.clear()
                }
                if upload.fileBytes <= limit, let declaredLength, bodyBytes < declaredLength { throw DouyinError.bodyCutShort }
                if upload.fileBytes <= limit {
                    do {
                        try parser.finish()
                    } catch {
                        throw DouyinError(.invalidParameter, "malformed multipart body: \(error)")
                    }
                }
            }
        } catch {
            _ = try? await FileSystem.shared.removeItem(at: FilePath(path))
            throw error
        }
        if upload.fileBytes > limit {
            _ = try? await FileSystem.shared.removeItem(at: FilePath(path))
            throw DouyinError(.payloadTooLarge, "the video is larger than \(limit) bytes")
        }
        for (name, bytes) in state.completed where name != MultipartForm.filePartName {
            guard let name else { continue }
            upload.fields.append((name, try FormURLEncoding.validText(bytes)))
        }
        if state.sawFile {
            upload.file = path
        } else {
            _ = try? await FileSystem.shared.removeItem(at: FilePath(path))
        }
        return upload
    }
}

/// Parser callbacks run synchronously inside `execute`; this carries their state.
private final class PartState {
    var name: String?
    var text: [UInt8] = []
    /// Text bytes of all parts so far: many small fields are bounded together.
    var textBytes = 0
    var fileChunk = ByteBuffer()
    var completed: [(String?, [UInt8])] = []
    var sawFile = false
}
