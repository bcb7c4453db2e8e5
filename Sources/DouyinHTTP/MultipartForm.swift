import DouyinModels
import NIOCore

/// Text parameters of a buffered `multipart/form-data` body.
///
/// The part named `data` (the upload) is skipped here: uploads are streamed by
/// the endpoint that takes them, never buffered by the parameter layer.
public enum MultipartForm {
    public static let filePartName = "data"

    /// The boundary from a `multipart/form-data; boundary=...` content type.
    public static func boundary(fromContentType contentType: String) -> String? {
        let fields = contentType.split(separator: ";").map { $0.trimmingSpaces }
        guard fields.first?.lowercased() == "multipart/form-data" else { return nil }
        for field in fields.dropFirst() {
            let kv = field.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces }
            if kv.count == 2, kv[0].lowercased() == "boundary" {
                let value = kv[1].hasPrefix("\"") && kv[1].hasSuffix("\"") && kv[1].count >= 2
                    ? String(kv[1].dropFirst().dropLast()) : kv[1]
                return value.isEmpty || value.utf8.count > 200 ? nil : value
            }
        }
        return nil
    }

    /// The `name` of a part from its `Content-Disposition` header.
    public static func partName(fromContentDisposition value: String) -> String? {
        for field in value.split(separator: ";").dropFirst() {
            let kv = field.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces }
            if kv.count == 2, kv[0].lowercased() == "name" {
                var name = Substring(kv[1])
                if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 { name = name.dropFirst().dropLast() }
                return String(name)
            }
        }
        return nil
    }

    /// The text parts in order; fails on text that is not UTF-8 or holds NUL.
    public static func textParameters(_ body: ByteBuffer, boundary: String) throws(DouyinError) -> [(String, String)] {
        let reader = MultipartReader(boundary: boundary)
        var parts: [(name: String?, bytes: [UInt8])] = []
        var current: (name: String?, bytes: [UInt8]) = (nil, [])
        reader.onHeader = { name, value in
            if name.lowercased() == "content-disposition" { current.name = partName(fromContentDisposition: value) }
        }
        reader.onBody = { buffer in
            if current.name != filePartName { current.bytes += buffer.readableBytesView }
        }
        reader.onPartComplete = {
            parts.append(current)
            current = (nil, [])
        }
        do {
            try reader.read(body)
            try reader.finish()
        } catch {
            throw DouyinError(.invalidParameter, "malformed multipart body: \(error)")
        }
        var pairs: [(String, String)] = []
        for part in parts {
            guard let name = part.name, name != filePartName else { continue }
            pairs.append((name, try FormURLEncoding.validText(part.bytes)))
        }
        return pairs
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
