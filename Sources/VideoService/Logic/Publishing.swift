import DouyinCore
import DouyinMedia
import DouyinModels
import Foundation
import Logging
import NIOPosix

/// Accepting an upload (API.md 6.5): probe, cover, store, record; all or nothing.
struct Publishing: Sendable {
    let store: VideoStore
    let storage: any MediaStorage
    let logger: Logger
    static let titleLength = 1...100

    /// Publishes the file at `path` (a temp file this call consumes).
    func publish(file path: String, title: String, author: UserID) async throws {
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (info, cover) = try await Self.inspect(path)
        let name = Self.randomName()
        let (playKey, coverKey) = ("v/\(name).\(Self.fileExtension(info.container))", "c/\(name).jpg")
        var stored: [String] = []
        do {
            try await storage.store(file: path, as: playKey)
            stored.append(playKey)
            try await storage.store(bytes: cover, as: coverKey)
            stored.append(coverKey)
            _ = try await store.insert(.init(
                authorID: author, title: title, playKey: playKey, coverKey: coverKey, contentType: Self.contentType(info.container)
            ))
        } catch {
            for key in stored { await storage.remove(key) }
            logger.warning("publish failed; stored objects removed", metadata: ["error": "\(error)"])
            throw error
        }
    }

    /// Media work is CPU-heavy and blocking: it runs on the shared thread pool.
    static func inspect(_ path: String) async throws -> (info: MediaInfo, cover: [UInt8]) {
        do {
            return try await NIOThreadPool.singleton.runIfActive { try MediaInspector.inspect(path: path) }
        } catch let error as MediaError {
            throw DouyinError(.notAVideo, "not a playable video: \(error)")
        }
    }

    static func randomName() -> String {
        (0..<4).map { _ in String(format: "%08x", UInt32.random(in: .min ... .max)) }.joined()
    }

    /// Stored unchanged, so the extension and type follow what FFmpeg found in it.
    static func fileExtension(_ container: String) -> String {
        if container.contains("mp4") { return "mp4" }
        if container.contains("webm") || container.contains("matroska") { return "webm" }
        if container == "avi" { return "avi" }
        if container == "gif" { return "gif" }
        if container == "flv" { return "flv" }
        if container == "mpegts" { return "ts" }
        if container.hasPrefix("mpeg") { return "mpg" }
        if container == "ogg" { return "ogv" }
        return "bin"
    }

    static func contentType(_ container: String) -> String {
        switch fileExtension(container) {
        case "mp4": "video/mp4"
        case "webm": container.contains("webm") ? "video/webm" : "video/x-matroska"
        case "avi": "video/x-msvideo"
        // API.md 7 asks for a video/* type for every play_url.
        case "gif": "video/gif"
        case "flv": "video/x-flv"
        case "ts": "video/mp2t"
        case "mpg": "video/mpeg"
        case "ogv": "video/ogg"
        default: "video/octet-stream"
        }
    }
}
