import DouyinMedia
import DouyinPostgres
import DouyinTestSupport
import Foundation
import Logging
import Testing

extension EndToEnd {
    /// Adaptive streaming (an extension): after a publish, the video service's transcode
    /// workers make HLS renditions and a small cover; the Video object then carries
    /// `hls_url` and `cover_small_url`. Jobs live in PostgreSQL and survive a killed worker.
    @Suite struct StreamingTests {
        func video(_ id: Int, of author: TestAccount, _ api: APIClient) async throws -> [String: any Sendable]? {
            let list = try await api.get("/douyin/publish/list/", [("user_id", author.idString), ("token", author.token)])
            return (list.json["video_list"] as? [[String: any Sendable]])?.first { $0["id"] as? Int == id }
        }

        /// The video once its renditions are ready (`hls_url` set), within `timeout`.
        func transcoded(_ id: Int, of author: TestAccount, _ api: APIClient, within timeout: Duration = .seconds(90)) async throws -> [String: any Sendable] {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if let video = try await video(id, of: author, api), let url = video["hls_url"] as? String, !url.isEmpty { return video }
                try await Task.sleep(for: .milliseconds(200))
            }
            throw TimedOut(what: "renditions of video \(id)")
        }

        struct TimedOut: Error { var what: String }

        func job(_ video: Int, _ db: PostgresClient) async throws -> (state: String, attempts: Int, error: String?)? {
            try await db.query("SELECT state, attempts, last_error FROM video.transcode_jobs WHERE video_id = \(Int64(video))")
                .first?.decode(String.self, Int.self, String?.self)
        }

        func path(of url: String) -> String {
            String(url[url.range(of: "/media/")!.lowerBound...])
        }

        /// The storage backend's settings: local files, or the S3 emulator Scripts/test.sh starts.
        func storage(_ backend: String) throws -> [String: String] {
            guard backend == "s3" else { return [:] }
            let endpoint = try #require(ProcessInfo.processInfo.environment["DOUYIN_TEST_S3_ENDPOINT"], "run Scripts/test.sh")
            return [
                "DOUYIN_STORAGE_BACKEND": "s3", "DOUYIN_STORAGE_S3_ENDPOINT": endpoint,
                "DOUYIN_STORAGE_S3_BUCKET": "hls-\(UInt32.random(in: 0 ... .max))",
                "DOUYIN_STORAGE_S3_ACCESS_KEY": "test", "DOUYIN_STORAGE_S3_SECRET_KEY": "test",
            ]
        }

        @Test(arguments: ["local", "s3"])
        func aPublishedVideoBecomesPlayableHLS(backend: String) async throws {
            try await Stack.with(environment: try storage(backend)) { stack in
                let api = stack.api
                let author = try await api.register("streamer")
                let id = try await api.publishClip(as: author, title: "with sound", media: TestMedia.clipWithSound)
                // At once: the original plays, the renditions are not there yet or already are.
                let first = try #require(try await video(id, of: author, api))
                #expect(first["hls_url"] is String && first["cover_small_url"] is String)

                let ready = try await transcoded(id, of: author, api)
                let hlsURL = try #require(ready["hls_url"] as? String)
                if backend == "local" {
                    // The worker removes its working folder just after the result is recorded.
                    let folder = stack.mediaDirectory.appendingPathComponent("tmp").path
                    var scratch: [String] = []
                    for _ in 0..<50 {
                        scratch = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
                        if !scratch.contains(where: { $0.hasPrefix("hls-") }) { break }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    #expect(!scratch.contains { $0.hasPrefix("hls-") }, "the working folder is removed: \(scratch)")
                }
                let master = try await api.get(path(of: hlsURL))
                #expect(master.status == 200)
                #expect(master.headers.first(name: "content-type") == "application/vnd.apple.mpegurl")
                let lines = master.text.split(separator: "\n").map(String.init)
                #expect(lines.first == "#EXTM3U")
                #expect(lines.filter { $0.hasPrefix("#EXT-X-STREAM-INF:") }.count == 2, "240p and the source's 270p: \(master.text)")
                #expect(lines.contains { $0.contains("RESOLUTION=480x270") && $0.contains("mp4a.40.2") })

                // A media playlist and a segment, by byte range as players ask.
                let base = String(hlsURL[..<hlsURL.lastIndex(of: "/")!])
                let media = try await api.get(path(of: "\(base)/r0.m3u8"))
                #expect(media.status == 200 && media.text.contains("#EXT-X-ENDLIST"))
                let segment = try #require(media.text.split(separator: "\n").first { $0.hasSuffix(".ts") })
                let part = try await api.get(path(of: "\(base)/\(segment)"), headers: [("Range", "bytes=0-187")])
                #expect(part.status == 206 && part.body.count == 188 && part.body.first == 0x47, "one MPEG-TS packet")
                #expect(part.headers.first(name: "content-type") == "video/mp2t")

                // FFmpeg reads it over HTTP as a client would.
                let (info, _) = try MediaInspector.inspect(path: "\(base)/r1.m3u8")
                #expect(info.width == 480 && info.height == 270 && info.codec == "h264")
                #expect(abs(info.durationSeconds - 5) < 0.6)

                let small = try await api.get(path(of: try #require(ready["cover_small_url"] as? String)))
                let large = try await api.get(path(of: try #require(ready["cover_url"] as? String)))
                #expect(small.status == 200 && small.headers.first(name: "content-type") == "image/jpeg")
                #expect(small.body.count < large.body.count)

                // The anonymous feed (cached) shows it too.
                let feed = try await api.get("/douyin/feed/")
                let inFeed = (feed.json["video_list"] as? [[String: any Sendable]])?.first { $0["id"] as? Int == id }
                #expect(inFeed?["hls_url"] as? String == hlsURL)

                // Deleting the video removes the renditions with it.
                #expect(try await api.post("/douyin/publish/delete/", [("token", author.token), ("video_id", String(id))]).isSuccess)
                #expect(try await api.get(path(of: hlsURL)).status == 404)
                #expect(try await api.get(path(of: "\(base)/\(segment)")).status == 404)
                let left = (try? FileManager.default.contentsOfDirectory(atPath: stack.mediaDirectory.appendingPathComponent("h").path)) ?? []
                #expect(left.isEmpty, "\(left)")
            }
        }

        /// A worker killed mid-job (SIGKILL) loses nothing: once its lease runs out, another
        /// worker claims the job and finishes it.
        @Test func aJobWhoseWorkerIsKilledIsTakenAgain() async throws {
            #expect(!TestMedia.longClip.isEmpty)
            // The stack's own video instance makes no renditions; workers are started by hand.
            try await Stack.with(environment: ["DOUYIN_TRANSCODE_WORKERS": "0", "DOUYIN_TRANSCODE_LEASE_SECONDS": "3"]) { stack in
                let api = stack.api
                let db = PostgresClient(.init(conninfo: stack.databaseURL, maxConnections: 1), logger: Logger(label: "test"))
                defer { Task { await db.shutdown() } }
                let author = try await api.register("patient")
                let id = try await api.publishClip(as: author, title: "long", media: TestMedia.longClip)
                #expect(try await job(id, db)?.state == "pending")

                try stack.start(.video, name: "worker-1", environment: ["DOUYIN_TRANSCODE_WORKERS": "1"])
                var claimed = false
                for _ in 0..<300 where !claimed {
                    claimed = try await job(id, db)?.state == "running"
                    if !claimed { try await Task.sleep(for: .milliseconds(50)) }
                }
                #expect(claimed)
                stack.kill("worker-1")
                let orphaned = try await job(id, db)
                #expect(orphaned?.state == "running" && orphaned?.attempts == 1, "killed mid-job: \(String(describing: orphaned))")

                try stack.start(.video, name: "worker-2", environment: ["DOUYIN_TRANSCODE_WORKERS": "1"])
                let ready = try await transcoded(id, of: author, api, within: .seconds(120))
                #expect((ready["hls_url"] as? String)?.contains("/h/\(id)-2/") == true, "finished by the second claim")
                let done = try await job(id, db)
                #expect(done?.state == "done" && done?.attempts == 2)
                let master = try await api.get(path(of: try #require(ready["hls_url"] as? String)))
                #expect(master.text.split(separator: "\n").filter { $0.hasPrefix("#EXT-X-STREAM-INF:") }.count == 3)
                #expect(stack.exitedProcesses() == ["worker-1"] || stack.exitedProcesses().isEmpty)
            }
        }

        /// A job that cannot succeed (its original is gone) is retried, then failed with the
        /// reason; the video stays as it was, with an empty `hls_url`.
        @Test func aJobThatKeepsFailingEndsFailedWithItsReason() async throws {
            try await Stack.with(environment: ["DOUYIN_TRANSCODE_WORKERS": "0"]) { stack in
                let api = stack.api
                let db = PostgresClient(.init(conninfo: stack.databaseURL, maxConnections: 1), logger: Logger(label: "test"))
                defer { Task { await db.shutdown() } }
                let author = try await api.register("unlucky")
                let id = try await api.publishClip(as: author, title: "lost original")
                let playURL = try #require(try await video(id, of: author, api)?["play_url"] as? String)
                try FileManager.default.removeItem(at: stack.mediaDirectory.appendingPathComponent(String(path(of: playURL).dropFirst("/media/".count))))

                try stack.start(.video, name: "worker", environment: [
                    "DOUYIN_TRANSCODE_WORKERS": "1", "DOUYIN_TRANSCODE_RETRY_SECONDS": "0", "DOUYIN_TRANSCODE_MAX_ATTEMPTS": "2",
                ])
                var outcome: (state: String, attempts: Int, error: String?)?
                let deadline = ContinuousClock.now + .seconds(60)
                while outcome?.state != "failed", ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(200))
                    outcome = try await job(id, db)
                }
                #expect(outcome?.state == "failed" && outcome?.attempts == 2, "\(String(describing: outcome))")
                #expect(outcome?.error?.isEmpty == false)
                #expect(try await video(id, of: author, api)?["hls_url"] as? String == "")
                #expect(stack.exitedProcesses().isEmpty)
            }
        }
    }
}
