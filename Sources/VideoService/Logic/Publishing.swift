import DouyinClients
import DouyinMedia
import DouyinModels
import Foundation
import Logging
import NIOPosix

/// Accepting an upload (API.md 6.5): probe, cover, store, record; all or nothing.
/// And taking a video down again (`POST /douyin/publish/delete/`, an extension).
struct Publishing: Sendable {
    let store: any VideoStoring
    let storage: any MediaStorage
    let versions: ContentVersions
    let logger: Logger
    static let titleLength = 1...100

    /// Publishes the file at `path` (a temp file; storing moves it, the caller removes what is left).
    func publish(file path: String, title: String, author: UserID) async throws {
        let (info, cover) = try await Self.inspect(path)
        let name = Self.randomName()
        // Stored unchanged, so the extension follows what FFmpeg found in it.
        let (playKey, coverKey) = ("v/\(name).\(MediaTypes.fileExtension(forContainer: info.container))", "c/\(name).jpg")
        var stored: [String] = []
        do {
            try await storage.store(file: path, as: playKey)
            stored.append(playKey)
            try await storage.store(bytes: cover, as: coverKey)
            stored.append(coverKey)
            _ = try await store.insert(.init(
                authorID: author, title: title, playKey: playKey, coverKey: coverKey, contentType: MediaTypes.contentType(ofKey: playKey)
            ))
        } catch {
            for key in stored { await storage.remove(key) }
            logger.warning("publish failed; stored objects removed", metadata: ["error": "\(error)"])
            throw error
        }
        await versions.changed(users: [author])
    }

    /// Deletes the requester's video: gone from every list at once (every cached page is
    /// keyed under versions this bumps), its counts taken back, its media removed after
    /// the commit (a failed removal leaves an orphan file, logged, never a half-deleted video).
    func delete(_ video: Int64, requester: UserID) async throws {
        switch try await store.delete(video, requester: requester) {
        case .notFound:
            throw DouyinError(.videoNotFound)
        case .forbidden:
            throw DouyinError(.forbidden, "only the video's author may delete it")
        case .deleted(let author, let likers, let mediaKeys):
            await versions.changed(users: [author] + likers, videos: [video])
            for key in mediaKeys { await storage.remove(key) }
            logger.info("video deleted", metadata: ["video_id": "\(video)", "likes": "\(likers.count)"])
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
}
