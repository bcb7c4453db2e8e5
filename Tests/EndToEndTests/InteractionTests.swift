import DouyinTestSupport
import Foundation
import Testing

extension EndToEnd {
    /// Likes and comments through the gateway (API.md 6.7 to 6.10).
    @Suite struct InteractionTests {
        func like(_ api: APIClient, _ user: TestAccount, _ video: Int, _ action: String = "1") async throws -> APIClient.Reply {
            try await api.post("/douyin/favorite/action/", [("video_id", String(video)), ("action_type", action), ("token", user.token)])
        }

        func videoCounts(_ api: APIClient, _ author: TestAccount, _ video: Int, as viewer: TestAccount) async throws -> [String: any Sendable] {
            let list = try await api.get("/douyin/publish/list/", [("user_id", author.idString), ("token", viewer.token)])
            return (list.json["video_list"] as? [[String: any Sendable]] ?? []).first { $0["id"] as? Int == video } ?? [:]
        }

        func user(_ api: APIClient, _ account: TestAccount) async throws -> [String: any Sendable] {
            try await api.get("/douyin/user/", [("user_id", account.idString), ("token", account.token)]).json["user"] as? [String: any Sendable] ?? [:]
        }

        @Test func likesAreIdempotentAndExactUnderConcurrency() async throws {
            try await Stack.with { stack in
                let api = stack.api
                let author = try await api.register("maker")
                let video = try await api.publishClip(as: author, title: "likeable")
                let fan = try await api.register("fan")
                #expect(try await like(api, fan, video).isSuccess)
                #expect(try await like(api, fan, video).isSuccess)
                #expect(try await videoCounts(api, author, video, as: fan)["favorite_count"] as? Int == 1)
                #expect(try await videoCounts(api, author, video, as: fan)["is_favorite"] as? Bool == true)
                #expect(try await videoCounts(api, author, video, as: author)["is_favorite"] as? Bool == false)
                #expect(try await user(api, fan)["favorite_count"] as? Int == 1)
                #expect(try await user(api, author)["total_favorited"] as? Int == 1)
                #expect(try await like(api, fan, video, "2").isSuccess)
                #expect(try await like(api, fan, video, "2").isSuccess)
                #expect(try await videoCounts(api, author, video, as: fan)["favorite_count"] as? Int == 0)
                #expect(try await user(api, author)["total_favorited"] as? Int == 0)

                var fans: [TestAccount] = []
                for index in 0..<20 { fans.append(try await api.register("crowd\(index)")) }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for fan in fans { group.addTask { _ = try await like(api, fan, video) } }
                    for _ in 0..<10 { group.addTask { _ = try await like(api, author, video) } }
                    try await group.waitForAll()
                }
                #expect(try await videoCounts(api, author, video, as: author)["favorite_count"] as? Int == 21)
                #expect(try await user(api, author)["total_favorited"] as? Int == 21)
                #expect(try await user(api, author)["favorite_count"] as? Int == 1)

                for bad in [try await like(api, fan, video, "3"), try await like(api, fan, 987654),
                            try await api.post("/douyin/favorite/action/", [("video_id", "abc"), ("action_type", "1"), ("token", fan.token)]),
                            try await api.post("/douyin/favorite/action/", [("action_type", "1"), ("token", fan.token)])] {
                    #expect(bad.isCleanFailure, "\(bad.text)")
                }
            }
        }

        @Test func favoriteListIsByLikeTimeAndRelativeToTheRequester() async throws {
            try await Stack.with { stack in
                let api = stack.api
                let author = try await api.register("auteur")
                let first = try await api.publishClip(as: author, title: "one")
                let second = try await api.publishClip(as: author, title: "two")
                let fan = try await api.register("collector")
                let other = try await api.register("onlooker")
                _ = try await like(api, fan, first)
                _ = try await like(api, fan, second)
                _ = try await like(api, fan, first, "2")
                _ = try await like(api, fan, first)
                _ = try await like(api, fan, second)  // a repeat does not move it
                let list = try await api.get("/douyin/favorite/list/", [("user_id", fan.idString), ("token", other.token)])
                let videos = list.json["video_list"] as? [[String: any Sendable]] ?? []
                #expect(videos.compactMap { $0["id"] as? Int } == [first, second])
                #expect(videos.compactMap { $0["is_favorite"] as? Bool } == [false, false])
                let own = try await api.get("/douyin/favorite/list/", [("user_id", fan.idString), ("token", fan.token), ("limit", "1")])
                #expect((own.json["video_list"] as? [[String: any Sendable]])?.first?["is_favorite"] as? Bool == true)
                #expect((own.json["next_cursor"] as? String)?.isEmpty == false)
            }
        }

        @Test func commentsPublishListDeleteAndAuthorization() async throws {
            try await Stack.with { stack in
                let api = stack.api
                let author = try await api.register("host")
                let video = try await api.publishClip(as: author, title: "talk")
                let guest = try await api.register("guest")
                let stranger = try await api.register("stranger")
                func comment(_ who: TestAccount, _ text: String) async throws -> APIClient.Reply {
                    try await api.post("/douyin/comment/action/", [("video_id", String(video)), ("action_type", "1"), ("comment_text", text), ("token", who.token)])
                }
                func delete(_ who: TestAccount, _ id: Int, video: Int) async throws -> APIClient.Reply {
                    try await api.post("/douyin/comment/action/", [("video_id", String(video)), ("action_type", "2"), ("comment_id", String(id)), ("token", who.token)])
                }
                let posted = try await comment(guest, "great 🎬 e\u{301}")
                #expect(posted.isSuccess, "\(posted.text)")
                let created = try #require(posted.json["comment"] as? [String: any Sendable])
                #expect(created["content"] as? String == "great 🎬 e\u{301}")
                #expect((created["user"] as? [String: any Sendable])?["id"] as? Int == guest.id)
                let date = try #require(created["create_date"] as? String)
                #expect(date.count == 5 && date.dropFirst(2).first == "-")
                let commentID = try #require(created["id"] as? Int)

                // A third user cannot delete it; nothing changes.
                #expect(try await delete(stranger, commentID, video: video).isCleanFailure)
                #expect(try await videoCounts(api, author, video, as: guest)["comment_count"] as? Int == 1)
                // Deleting through another video fails.
                let otherVideo = try await api.publishClip(as: guest, title: "elsewhere")
                #expect(try await delete(guest, commentID, video: otherVideo).isCleanFailure)
                // The video's author may delete it, once.
                let deleted = try await delete(author, commentID, video: video)
                #expect(deleted.isSuccess)
                #expect((deleted.json["comment"] as? [String: any Sendable])?["id"] as? Int == commentID)
                #expect(try await delete(author, commentID, video: video).isCleanFailure)
                #expect(try await videoCounts(api, author, video, as: guest)["comment_count"] as? Int == 0)

                // Seven comments, paged two at a time, newest first, each once.
                var written: [String] = []
                for index in 0..<7 {
                    _ = try await comment(index % 2 == 0 ? guest : stranger, "c\(index)")
                    written.append("c\(index)")
                }
                var seen: [String] = []
                var cursor = ""
                repeat {
                    let page = try await api.get("/douyin/comment/list/", [("video_id", String(video)), ("token", author.token), ("limit", "2")] + (cursor.isEmpty ? [] : [("cursor", cursor)]))
                    seen += (page.json["comment_list"] as? [[String: any Sendable]] ?? []).compactMap { $0["content"] as? String }
                    cursor = page.json["next_cursor"] as? String ?? ""
                } while !cursor.isEmpty
                #expect(seen == written.reversed())

                // Concurrent comments count exactly.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<20 { group.addTask { _ = try await comment(stranger, "burst \(index)") } }
                    try await group.waitForAll()
                }
                #expect(try await videoCounts(api, author, video, as: guest)["comment_count"] as? Int == 27)
                // Concurrent deletes, each comment twice: every one goes once, the count with it.
                let burst = try await api.get("/douyin/comment/list/", [("video_id", String(video)), ("token", author.token), ("limit", "20")])
                let burstIDs = (burst.json["comment_list"] as? [[String: any Sendable]] ?? []).compactMap { $0["id"] as? Int }
                #expect(burstIDs.count == 20)
                let deletions = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for id in burstIDs + burstIDs { group.addTask { try await delete(author, id, video: video).isSuccess } }
                    return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
                }
                #expect(deletions == 20)
                #expect(try await videoCounts(api, author, video, as: guest)["comment_count"] as? Int == 7)

                for bad in [try await comment(guest, ""), try await comment(guest, String(repeating: "x", count: 501)),
                            try await api.post("/douyin/comment/action/", [("video_id", String(video)), ("action_type", "3"), ("token", guest.token)]),
                            try await api.post("/douyin/comment/action/", [("video_id", "999999"), ("action_type", "1"), ("comment_text", "x"), ("token", guest.token)]),
                            try await api.post("/douyin/comment/action/", [("video_id", String(video)), ("action_type", "2"), ("token", guest.token)]),
                            try await api.get("/douyin/comment/list/", [("video_id", "999999"), ("token", guest.token)]),
                            try await api.get("/douyin/comment/list/", [("video_id", "x1"), ("token", guest.token)])] {
                    #expect(bad.isCleanFailure, "\(bad.text)")
                }
                #expect(try await comment(guest, String(repeating: "😀", count: 500)).isSuccess)
            }
        }
    }
}
