import DouyinPostgres
import DouyinTestSupport
import Foundation
import Logging
import Testing

extension EndToEnd {
    /// `POST /douyin/publish/delete/` (an extension): author only; the video leaves every
    /// list at once, on every instance; every counter it added to is taken back; its media
    /// goes; deleting twice, or at once from two clients, counts once.
    @Suite struct VideoDeletionTests {
        func videoIDs(_ reply: APIClient.Reply) -> [Int] {
            (reply.json["video_list"] as? [[String: any Sendable]] ?? []).compactMap { $0["id"] as? Int }
        }

        func user(_ api: APIClient, _ id: TestAccount, seenBy viewer: TestAccount) async throws -> [String: any Sendable] {
            try await api.get("/douyin/user/", [("user_id", id.idString), ("token", viewer.token)]).json["user"] as? [String: any Sendable] ?? [:]
        }

        @Test func anAuthorsDeleteTakesBackEverythingTheVideoCounted() async throws {
            try await Stack.with { stack in
                try stack.start(.video, name: "video-2")
                try await stack.waitUntilRegistered(.video, count: 2)
                let api = stack.api
                let (maker, ann, bob) = (try await api.register("maker"), try await api.register("ann"), try await api.register("bob"))
                let doomed = try await api.publishClip(as: maker, title: "to be deleted")
                let kept = try await api.publishClip(as: maker, title: "to be kept")
                for (viewer, video) in [(ann, doomed), (bob, doomed), (maker, doomed), (ann, kept)] {
                    #expect(try await api.post("/douyin/favorite/action/", [("token", viewer.token), ("video_id", String(video)), ("action_type", "1")]).isSuccess)
                }
                #expect(try await api.post("/douyin/comment/action/", [("token", bob.token), ("video_id", String(doomed)), ("action_type", "1"), ("comment_text", "bye")]).isSuccess)
                let feed = try await api.get("/douyin/feed/", [("token", ann.token)])
                let playURL = try #require((feed.json["video_list"] as? [[String: any Sendable]])?.first { $0["id"] as? Int == doomed }?["play_url"] as? String)

                // Only the author may.
                let refused = try await api.post("/douyin/publish/delete/", [("token", ann.token), ("video_id", String(doomed))])
                #expect(refused.status == 403 && refused.isCleanFailure, "\(refused.text)")
                #expect(try await api.post("/douyin/publish/delete/", [("video_id", String(doomed))]).isCleanFailure, "a token is required")

                // Two deletes at once: one deletes, the other finds nothing.
                async let first = api.post("/douyin/publish/delete/", [("token", maker.token), ("video_id", String(doomed))])
                async let second = api.post("/douyin/publish/delete/", [("token", maker.token), ("video_id", String(doomed))])
                let outcomes = [try await first, try await second]
                #expect(outcomes.filter(\.isSuccess).count == 1, "\(outcomes.map(\.text))")
                #expect(outcomes.filter { $0.status == 404 && $0.isCleanFailure }.count == 1)

                // Gone from every list at once, whichever video instance answers.
                for _ in 0..<4 {
                    #expect(!videoIDs(try await api.get("/douyin/feed/", [("token", ann.token)])).contains(doomed))
                    #expect(!videoIDs(try await api.get("/douyin/feed/")).contains(doomed))
                    #expect(videoIDs(try await api.get("/douyin/publish/list/", [("user_id", maker.idString), ("token", ann.token)])) == [kept])
                    #expect(videoIDs(try await api.get("/douyin/favorite/list/", [("user_id", ann.idString), ("token", ann.token)])) == [kept])
                    #expect(videoIDs(try await api.get("/douyin/favorite/list/", [("user_id", bob.idString), ("token", bob.token)])) == [])
                }
                let comments = try await api.get("/douyin/comment/list/", [("token", bob.token), ("video_id", String(doomed))])
                #expect(comments.status == 404 && comments.isCleanFailure)
                #expect(try await api.post("/douyin/favorite/action/", [("token", bob.token), ("video_id", String(doomed)), ("action_type", "1")]).isCleanFailure)

                // Every counter it added to, taken back once.
                let makerNow = try await user(api, maker, seenBy: ann)
                #expect(makerNow["work_count"] as? Int == 1 && makerNow["total_favorited"] as? Int == 1 && makerNow["favorite_count"] as? Int == 0, "\(makerNow)")
                #expect(try await user(api, ann, seenBy: ann)["favorite_count"] as? Int == 1)
                #expect(try await user(api, bob, seenBy: ann)["favorite_count"] as? Int == 0)
                // And they agree with the rows, as the reconciliation would check them.
                let db = PostgresClient(.init(conninfo: stack.databaseURL, maxConnections: 1), logger: Logger(label: "test"))
                let drift = try await db.query("""
                    SELECT count(*) FROM video.user_stats s WHERE
                        s.work_count <> (SELECT count(*) FROM video.videos v WHERE v.author_id = s.user_id)
                     OR s.favorite_count <> (SELECT count(*) FROM video.favorites f WHERE f.user_id = s.user_id)
                     OR s.total_favorited <> (SELECT count(*) FROM video.favorites f JOIN video.videos v ON v.id = f.video_id WHERE v.author_id = s.user_id)
                    """).first!.column(0, as: Int64.self)
                await db.shutdown()
                #expect(drift == 0)

                // Its media is gone too.
                let media = try await APIClient(baseURL: stack.gatewayURL).get(URL(string: playURL)!.path)
                #expect(media.status == 404)
                #expect(stack.exitedProcesses().isEmpty)
            }
        }

        /// Likes, unlikes and comments racing the delete: each either lands before it (and
        /// is taken back with the video) or finds no video; none fails with a server error,
        /// and no counter is left wrong.
        @Test func interactionsRacingTheDeleteLeaveNoTrace() async throws {
            try await Stack.with { stack in
                let api = stack.api
                let maker = try await api.register("maker")
                var fans: [TestAccount] = []
                for index in 0..<6 { fans.append(try await api.register("fan\(index)")) }
                let video = try await api.publishClip(as: maker, title: "short-lived")
                let replies = try await withThrowingTaskGroup(of: APIClient.Reply.self) { group in
                    for (index, fan) in fans.enumerated() {
                        group.addTask {
                            for round in 0..<3 {
                                let action = (index + round) % 2 == 0 ? "1" : "2"
                                let reply = try await api.post("/douyin/favorite/action/", [("token", fan.token), ("video_id", String(video)), ("action_type", action)])
                                if !reply.isSuccess { return reply }
                            }
                            return try await api.post("/douyin/comment/action/", [("token", fan.token), ("video_id", String(video)), ("action_type", "1"), ("comment_text", "hi")])
                        }
                    }
                    group.addTask {
                        try await Task.sleep(for: .milliseconds(5))
                        return try await api.post("/douyin/publish/delete/", [("token", maker.token), ("video_id", String(video))])
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(replies.allSatisfy { $0.isSuccess || ($0.status == 404 && $0.isCleanFailure) }, "\(replies.map { "\($0.status) \($0.text)" })")
                let db = PostgresClient(.init(conninfo: stack.databaseURL, maxConnections: 1), logger: Logger(label: "test"))
                let left = try await db.query("""
                    SELECT (SELECT count(*) FROM video.favorites) + (SELECT count(*) FROM video.comments)
                         + (SELECT count(*) FROM video.user_stats WHERE favorite_count <> 0 OR total_favorited <> 0 OR work_count <> 0)
                    """).first!.column(0, as: Int64.self)
                await db.shutdown()
                #expect(left == 0, "likes, comments or counters outlived the video")
                #expect(stack.exitedProcesses().isEmpty)
            }
        }
    }
}
