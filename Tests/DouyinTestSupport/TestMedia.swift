import Foundation

/// Media files for tests, made once with the `ffmpeg` command.
public enum TestMedia {
    /// A one-second 160x120 H.264 MP4 of a few KB.
    public static let clip = make(["-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "1", "-pix_fmt", "yuv420p"])

    /// Five seconds of 480x270 H.264 with AAC sound: two HLS renditions (240p, 270p).
    public static let clipWithSound = make([
        "-f", "lavfi", "-i", "testsrc=size=480x270:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
        "-t", "5", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
    ])

    /// Fifteen seconds of 1280x720: three renditions, several seconds of transcoding.
    public static let longClip = make([
        "-f", "lavfi", "-i", "testsrc=size=1280x720:rate=10", "-t", "15", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
    ])

    private static func make(_ arguments: [String]) -> [UInt8] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("clip-\(UUID().uuidString).mp4").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        process.arguments = ["-v", "error", "-y"] + arguments + [path]
        try? process.run()
        process.waitUntilExit()
        defer { try? FileManager.default.removeItem(atPath: path) }
        return (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
    }
}

extension APIClient {
    /// Publishes a test clip as `account` and returns the new video's id (newest in the author's list).
    public func publishClip(as account: TestAccount, title: String, media: [UInt8] = TestMedia.clip) async throws -> Int {
        let reply = try await upload(media, fields: [("title", title), ("token", account.token)])
        guard reply.isSuccess else { throw RegistrationFailed(reply: reply.text) }
        let list = try await get("/douyin/publish/list/", [("user_id", account.idString), ("token", account.token), ("limit", "1")])
        guard let id = (list.json["video_list"] as? [[String: any Sendable]])?.first?["id"] as? Int else {
            throw RegistrationFailed(reply: list.text)
        }
        return id
    }
}
