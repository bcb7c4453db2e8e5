import Foundation

/// Media files for tests, made once with the `ffmpeg` command.
public enum TestMedia {
    /// A one-second 160x120 H.264 MP4 of a few KB.
    public static let clip: [UInt8] = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("clip-\(UUID().uuidString).mp4").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        process.arguments = ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "1", "-pix_fmt", "yuv420p", path]
        try? process.run()
        process.waitUntilExit()
        defer { try? FileManager.default.removeItem(atPath: path) }
        return (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
    }()
}

extension APIClient {
    /// Publishes the test clip as `account` and returns the new video's id (newest in the author's list).
    public func publishClip(as account: TestAccount, title: String) async throws -> Int {
        let reply = try await upload(TestMedia.clip, fields: [("title", title), ("token", account.token)])
        guard reply.isSuccess else { throw RegistrationFailed(reply: reply.text) }
        let list = try await get("/douyin/publish/list/", [("user_id", account.idString), ("token", account.token), ("limit", "1")])
        guard let id = (list.json["video_list"] as? [[String: any Sendable]])?.first?["id"] as? Int else {
            throw RegistrationFailed(reply: list.text)
        }
        return id
    }
}
