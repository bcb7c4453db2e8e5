import DouyinRedis
import DouyinTestSupport
import Foundation
import Testing

extension EndToEnd {
    /// Publishing, the feed, publish lists and media through the gateway (API.md 6.1, 6.5, 6.6, 7).
    @Suite struct VideoTests {
        static let uploadLimit = 200_000

        static var clip: [UInt8] { TestMedia.clip }

        func stack(_ body: (Stack) async throws -> Void) async throws {
            try await Stack.with(environment: ["DOUYIN_MAX_UPLOAD_BYTES": String(Self.uploadLimit)], body)
        }

        func videos(_ reply: APIClient.Reply) -> [[String: any Sendable]] {
            reply.json["video_list"] as? [[String: any Sendable]] ?? []
        }

        func mediaFiles(_ stack: Stack) -> [String] {
            ["v", "c", "tmp"].flatMap { folder in
                (try? FileManager.default.contentsOfDirectory(atPath: stack.mediaDirectory.appendingPathComponent(folder).path)) ?? []
            }
        }

        @Test func publishedVideoLeadsFeedAndPublishListAndIsServed() async throws {
            #expect(!Self.clip.isEmpty)
            try await stack(publishAndServe)
        }

        /// The same flow with media in an S3-compatible store (the emulator that Scripts/test.sh starts).
        @Test func publishAndServeWithTheS3Backend() async throws {
            let endpoint = try #require(ProcessInfo.processInfo.environment["DOUYIN_TEST_S3_ENDPOINT"], "run Scripts/test.sh")
            try await Stack.with(environment: [
                "DOUYIN_STORAGE_BACKEND": "s3", "DOUYIN_STORAGE_S3_ENDPOINT": endpoint,
                "DOUYIN_STORAGE_S3_BUCKET": "e2e-\(UInt32.random(in: 0 ... .max))",
                "DOUYIN_STORAGE_S3_ACCESS_KEY": "test", "DOUYIN_STORAGE_S3_SECRET_KEY": "test",
            ], publishAndServe)
        }

        func publishAndServe(_ stack: Stack) async throws {
            let api = stack.api
            let author = try await api.register("director")
            let viewer = try await api.register("viewer")
            let published = try await api.upload(Self.clip, fields: [("title", "first clip ✓"), ("token", author.token)])
            #expect(published.isSuccess, "\(published.text)")

            let feed = try await api.get("/douyin/feed/")
            let video = try #require(videos(feed).first)
            #expect(video["title"] as? String == "first clip ✓")
            #expect((video["author"] as? [String: any Sendable])?["id"] as? Int == author.id)
            #expect((video["author"] as? [String: any Sendable])?["work_count"] as? Int == 1)
            #expect(video["is_favorite"] as? Bool == false)
            #expect(feed.json["next_time"] is Int)

            let list = try await api.get("/douyin/publish/list/", [("user_id", author.idString), ("token", viewer.token)])
            #expect(videos(list).first?["id"] as? Int == video["id"] as? Int)
            #expect(list.json["next_cursor"] as? String == "")
            let info = try await api.get("/douyin/user/", [("user_id", author.idString), ("token", viewer.token)])
            #expect((info.json["user"] as? [String: any Sendable])?["work_count"] as? Int == 1)

            // The file comes back unchanged, with ranges; the cover is a JPEG.
            let playURL = try #require(video["play_url"] as? String)
            let play = try await APIClient(baseURL: playURL).get("")
            #expect(play.status == 200 && play.body == Self.clip)
            #expect(play.headers.first(name: "content-type") == "video/mp4")
            #expect(play.headers.first(name: "accept-ranges") == "bytes")
            let part = try await APIClient(baseURL: playURL).get("", headers: [("Range", "bytes=10-19")])
            #expect(part.status == 206 && part.body == Array(Self.clip[10...19]))
            #expect(part.headers.first(name: "content-range") == "bytes 10-19/\(Self.clip.count)")
            let tail = try await APIClient(baseURL: playURL).get("", headers: [("Range", "bytes=-5")])
            #expect(tail.status == 206 && tail.body == Array(Self.clip.suffix(5)))
            let beyond = try await APIClient(baseURL: playURL).get("", headers: [("Range", "bytes=\(Self.clip.count)-")])
            #expect(beyond.status == 416 && beyond.headers.first(name: "content-range") == "bytes */\(Self.clip.count)")
            let cover = try await APIClient(baseURL: try #require(video["cover_url"] as? String)).get("")
            #expect(cover.status == 200 && cover.body.starts(with: [0xFF, 0xD8]))
            #expect(cover.headers.first(name: "content-type") == "image/jpeg")
        }

        @Test func feedPagesOverEveryVideoOnceNewestFirst() async throws {
            try await stack { stack in
                let api = stack.api
                let author = try await api.register("prolific")
                var titles: [String] = []
                for index in 0..<35 {
                    let title = "clip \(index)"
                    #expect(try await api.upload(Self.clip, fields: [("title", title)], query: [("token", author.token)]).isSuccess)
                    titles.append(title)
                }
                let first = try await api.get("/douyin/feed/", [("token", author.token)])
                #expect(videos(first).count == 30)
                let next = try #require(first.json["next_time"] as? Int)
                let second = try await api.get("/douyin/feed/", [("latest_time", String(next))])
                #expect(videos(second).count == 5)
                let seen = (videos(first) + videos(second)).compactMap { $0["title"] as? String }
                #expect(seen == titles.reversed())
                let empty = try await api.get("/douyin/feed/", [("latest_time", "1")])
                #expect(videos(empty).isEmpty && empty.json["next_time"] as? Int == 1000)
                // Publish list pages with limit/cursor.
                var listed: [String] = []
                var cursor = ""
                repeat {
                    let page = try await api.get("/douyin/publish/list/", [("user_id", author.idString), ("token", author.token), ("limit", "10")] + (cursor.isEmpty ? [] : [("cursor", cursor)]))
                    listed += videos(page).compactMap { $0["title"] as? String }
                    cursor = page.json["next_cursor"] as? String ?? ""
                } while !cursor.isEmpty
                #expect(listed == titles.reversed())
            }
        }

        /// A page of 30 videos by 30 authors costs one user batch call, not 30, and one
        /// call for the viewer's follow flags; authors unchanged since cost none.
        @Test func feedPageAssemblesAuthorsWithOneCall() async throws {
            try await stack { stack in
                let api = stack.api
                var authors: [TestAccount] = []
                for index in 0..<30 {
                    let author = try await api.register("author\(index)")
                    authors.append(author)
                    _ = try await api.publishClip(as: author, title: "by \(index)")
                }
                // Changed authors: nothing about them may come from a cache.
                let redis = RedisClient(stack.redisConfiguration())
                _ = try await redis.pipeline(authors.map { ["INCR", "douyin:user:\($0.id):version"] })
                await redis.shutdown()
                // Both viewers first: a registration (scrypt) between the two reads could outlast the caches' maxAge.
                let viewer = try await api.register("counter")
                let other = try await api.register("recounter")
                func calls(_ method: String) async throws -> Double {
                    try await stack.counter("douyin_rpc_server_requests_total", matching: "method=\"\(method)\"", on: .user)
                }
                let (users, follows) = (try await calls("user.users"), try await calls("user.followed"))
                let feed = try await api.get("/douyin/feed/", [("token", viewer.token)])
                #expect(videos(feed).count == 30)
                #expect(Set(videos(feed).compactMap { ($0["author"] as? [String: any Sendable])?["id"] as? Int }).count == 30)
                #expect(try await calls("user.users") - users == 1)
                #expect(try await calls("user.followed") - follows == 1)
                // Again, as someone else: the authors come from memory, only the new viewer's flags are asked.
                #expect(videos(try await api.get("/douyin/feed/", [("token", other.token)])).count == 30)
                #expect(try await calls("user.users") - users == 1)
                #expect(try await calls("user.followed") - follows == 2)
                // And the user service asked the video service for their counters once.
                let stats = try await stack.counter("douyin_rpc_server_requests_total", matching: #"method="video.userStats""#, on: .video)
                #expect(stats >= 1)
            }
        }

        @Test func rejectedUploadsStoreNothing() async throws {
            try await stack { stack in
                let api = stack.api
                let author = try await api.register("rejected")
                var oversized = Self.clip
                oversized += [UInt8](repeating: 0, count: Self.uploadLimit)
                let replies = [
                    try await api.upload(Array("hello, I am text".utf8), fields: [("title", "text"), ("token", author.token)]),
                    try await api.upload(Array(Self.clip.prefix(Self.clip.count / 2)), fields: [("title", "half"), ("token", author.token)]),
                    try await api.upload([], fields: [("title", "empty"), ("token", author.token)]),
                    try await api.upload(nil, fields: [("title", "none"), ("token", author.token)]),
                    try await api.upload(Self.clip, fields: [("token", author.token)]),
                    try await api.upload(Self.clip, fields: [("title", String(repeating: "t", count: 101)), ("token", author.token)]),
                    try await api.upload(Self.clip, fields: [("title", "no token")]),
                // Many small text fields are bounded together.
                try await api.upload(Self.clip, fields: [("title", "fields"), ("token", author.token)] + (0..<100).map { ("f\($0)", String(repeating: "x", count: 1000)) }),
                ]
                for reply in replies { #expect(reply.isCleanFailure, "\(reply.status) \(reply.text)") }
                let tooLarge = try await api.upload(oversized, fields: [("title", "big"), ("token", author.token)])
                #expect(tooLarge.status == 413, "\(tooLarge.status) \(tooLarge.text)")
                #expect(tooLarge.isCleanFailure, "\(tooLarge.status) \(tooLarge.text)")
                #expect(videos(try await api.get("/douyin/feed/")).isEmpty)
                #expect(mediaFiles(stack).isEmpty, "\(mediaFiles(stack))")
                let info = try await api.get("/douyin/user/", [("user_id", author.idString), ("token", author.token)])
                #expect((info.json["user"] as? [String: any Sendable])?["work_count"] as? Int == 0)
            }
        }
    }
}
