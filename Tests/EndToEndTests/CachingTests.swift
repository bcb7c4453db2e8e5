import DouyinModels
import DouyinTestSupport
import Foundation
import Testing

extension EndToEnd {
    /// Pages and profiles served from memory never hide a write: whatever instance
    /// answers, a read issued after a write returns shows it.
    @Suite struct CachingTests {
        /// A stack with a second instance of `service`, so that repeated reads land on both.
        func withTwoInstances(of service: ServiceName, _ body: (Stack) async throws -> Void) async throws {
            try await Stack.with { stack in
                try stack.start(service, name: "\(service.rawValue)2")
                try await stack.waitUntilRegistered(service, count: 2)
                try await body(stack)
            }
        }

        func videos(_ reply: APIClient.Reply) -> [[String: any Sendable]] {
            reply.json["video_list"] as? [[String: any Sendable]] ?? []
        }

        /// The anonymous feed head is served from memory, yet every write shows in
        /// any read issued after it returns, whichever video instance answers.
        @Test func anonymousFeedShowsEveryWriteAtOnceAcrossInstances() async throws {
            try await withTwoInstances(of: .video) { stack in
                let api = stack.api
                let author = try await api.register("cached")
                let fan = try await api.register("cachefan")
                func head() async throws -> [String: any Sendable] {
                    // Several reads, so both instances answer and both have cached the page.
                    var first: [String: any Sendable] = [:]
                    for _ in 0..<6 { first = try #require(videos(try await api.get("/douyin/feed/")).first) }
                    return first
                }
                func authorOf(_ video: [String: any Sendable]) -> [String: any Sendable] {
                    video["author"] as? [String: any Sendable] ?? [:]
                }
                let first = try await api.publishClip(as: author, title: "one")
                #expect(try await head()["id"] as? Int == first)
                let second = try await api.publishClip(as: author, title: "two")
                let afterPublish = try await head()
                #expect(afterPublish["id"] as? Int == second && authorOf(afterPublish)["work_count"] as? Int == 2)

                let liked = try await api.post("/douyin/favorite/action/", [("video_id", String(second)), ("action_type", "1"), ("token", fan.token)])
                #expect(liked.isSuccess)
                let afterLike = try await head()
                #expect(afterLike["favorite_count"] as? Int == 1 && authorOf(afterLike)["total_favorited"] as? Int == 1)

                let followed = try await api.post("/douyin/relation/action/", [("to_user_id", author.idString), ("action_type", "1"), ("token", fan.token)])
                #expect(followed.isSuccess)
                #expect(authorOf(try await head())["follower_count"] as? Int == 1)

                let commented = try await api.post(
                    "/douyin/comment/action/", [("video_id", String(second)), ("action_type", "1"), ("comment_text", "hi"), ("token", fan.token)]
                )
                #expect(commented.isSuccess)
                #expect(try await head()["comment_count"] as? Int == 1)

                // URLs follow the Host of each request, cached or not.
                let other = try await api.get("/douyin/feed/", headers: [("Host", "media.example:9")])
                #expect((videos(other).first?["play_url"] as? String)?.hasPrefix("http://media.example:9/media/") == true)
                // A page bounded before every video is not the head.
                let older = try await api.get("/douyin/feed/", [("latest_time", String(Int(Date().timeIntervalSince1970 * 1000) - 600_000))])
                #expect(videos(older).isEmpty)
                #expect(try await repeatedByTheGateway(stack) > 0)
            }
        }

        /// A viewer's feed reuses the cached page's rows, yet shows the viewer's own
        /// likes and follows at once, and never another viewer's.
        @Test func viewersFeedShowsTheirOwnWritesAtOnceAndNoOneElses() async throws {
            try await withTwoInstances(of: .video) { stack in
                let api = stack.api
                let author = try await api.register("feedauthor")
                let fan = try await api.register("feedfan")
                let stranger = try await api.register("feedstranger")
                let video = try await api.publishClip(as: author, title: "watched")
                /// The newest video as `account` sees it (nil: anonymous), read so that both instances cache the page.
                func newest(as account: TestAccount?) async throws -> [String: any Sendable] {
                    var first: [String: any Sendable] = [:]
                    for _ in 0..<6 {
                        let reply = try await api.get("/douyin/feed/", account.map { [("token", $0.token)] } ?? [])
                        first = try #require(videos(reply).first)
                    }
                    return first
                }
                func flags(_ video: [String: any Sendable]) -> (liked: Bool?, follows: Bool?) {
                    (video["is_favorite"] as? Bool, (video["author"] as? [String: any Sendable])?["is_follow"] as? Bool)
                }
                #expect(try await newest(as: nil)["id"] as? Int == video)
                #expect(flags(try await newest(as: fan)) == (false, false))

                let liked = try await api.post("/douyin/favorite/action/", [("video_id", String(video)), ("action_type", "1"), ("token", fan.token)])
                #expect(liked.isSuccess)
                let followed = try await api.post("/douyin/relation/action/", [("to_user_id", author.idString), ("action_type", "1"), ("token", fan.token)])
                #expect(followed.isSuccess)
                let fanView = try await newest(as: fan)
                #expect(flags(fanView) == (true, true) && fanView["favorite_count"] as? Int == 1)
                #expect(flags(try await newest(as: stranger)) == (false, false))
                #expect(flags(try await newest(as: nil)) == (false, false))

                let unliked = try await api.post("/douyin/favorite/action/", [("video_id", String(video)), ("action_type", "2"), ("token", fan.token)])
                #expect(unliked.isSuccess)
                let afterUnlike = try await newest(as: fan)
                #expect(flags(afterUnlike) == (false, true) && afterUnlike["favorite_count"] as? Int == 0)
            }
        }

        /// Comment pages are kept while their video's version holds: a comment added or
        /// deleted shows in the next read, whichever instance answers.
        @Test func commentPagesShowEveryWriteAtOnceAcrossInstances() async throws {
            try await withTwoInstances(of: .video) { stack in
                let api = stack.api
                let author = try await api.register("talkedabout")
                let fan = try await api.register("talker")
                let video = try await api.publishClip(as: author, title: "discussed")
                func contents() async throws -> [String] {
                    var seen: [String] = []
                    for _ in 0..<6 {
                        let reply = try await api.get("/douyin/comment/list/", [("video_id", String(video)), ("token", author.token)])
                        seen = (reply.json["comment_list"] as? [[String: any Sendable]] ?? []).compactMap { $0["content"] as? String }
                    }
                    return seen
                }
                #expect(try await contents().isEmpty)
                var ids: [Int] = []
                for text in ["first", "second"] {
                    let reply = try await api.post(
                        "/douyin/comment/action/", [("video_id", String(video)), ("action_type", "1"), ("comment_text", text), ("token", fan.token)]
                    )
                    ids.append(try #require((reply.json["comment"] as? [String: any Sendable])?["id"] as? Int))
                    #expect(try await contents().first == text)
                }
                let deleted = try await api.post(
                    "/douyin/comment/action/", [("video_id", String(video)), ("action_type", "2"), ("comment_id", String(ids[1])), ("token", fan.token)]
                )
                #expect(deleted.isSuccess)
                #expect(try await contents() == ["first"])
                // The viewer follows the writer: the page shows it at once.
                #expect(try await api.post("/douyin/relation/action/", [("to_user_id", fan.idString), ("action_type", "1"), ("token", author.token)]).isSuccess)
                let writer = try await api.get("/douyin/comment/list/", [("video_id", String(video)), ("token", author.token)])
                let user = (writer.json["comment_list"] as? [[String: any Sendable]])?.first?["user"] as? [String: any Sendable]
                #expect(user?["is_follow"] as? Bool == true && user?["follower_count"] as? Int == 1)
                #expect(try await repeatedByTheGateway(stack) > 0)
            }
        }

        /// Relation pages are kept while the listed user's version holds.
        @Test func followerPagesShowEveryWriteAtOnceAcrossInstances() async throws {
            try await withTwoInstances(of: .user) { stack in
                let api = stack.api
                let star = try await api.register("followedstar")
                let fans = [try await api.register("earlyfan"), try await api.register("latefan")]
                func page() async throws -> [[String: any Sendable]] {
                    var users: [[String: any Sendable]] = []
                    for _ in 0..<6 {
                        let reply = try await api.get("/douyin/relation/follower/list/", [("user_id", star.idString), ("token", star.token)])
                        users = reply.json["user_list"] as? [[String: any Sendable]] ?? []
                    }
                    return users
                }
                func followers() async throws -> [Int] { try await page().compactMap { $0["id"] as? Int } }
                #expect(try await followers().isEmpty)
                for fan in fans {
                    #expect(try await api.post("/douyin/relation/action/", [("to_user_id", star.idString), ("action_type", "1"), ("token", fan.token)]).isSuccess)
                }
                #expect(try await followers() == [fans[1].id, fans[0].id])
                // A user on the page changes (not the list): the page shows it at once.
                #expect(try await api.post("/douyin/relation/action/", [("to_user_id", fans[1].idString), ("action_type", "1"), ("token", fans[0].token)]).isSuccess)
                #expect(try await page().last?["follow_count"] as? Int == 2)
                #expect(try await api.post("/douyin/relation/action/", [("to_user_id", star.idString), ("action_type", "2"), ("token", fans[1].token)]).isSuccess)
                #expect(try await followers() == [fans[0].id])
                #expect(try await repeatedByTheGateway(stack) > 0)
            }
        }

        @Test func userInfoShowsEveryWriteAtOnceAcrossInstances() async throws {
            try await withTwoInstances(of: .user) { stack in
                let api = stack.api
                let author = try await api.register("profiled")
                let fan = try await api.register("profilefan")
                /// The author as the fan sees them, read often enough that both instances cache it.
                func seen() async throws -> [String: any Sendable] {
                    var user: [String: any Sendable] = [:]
                    for _ in 0..<6 {
                        let reply = try await api.get("/douyin/user/", [("user_id", author.idString), ("token", fan.token)])
                        user = try #require(reply.json["user"] as? [String: any Sendable])
                    }
                    return user
                }
                func fanSelf() async throws -> [String: any Sendable] {
                    let reply = try await api.get("/douyin/user/", [("user_id", fan.idString), ("token", fan.token)])
                    return try #require(reply.json["user"] as? [String: any Sendable])
                }
                #expect(try await seen()["is_follow"] as? Bool == false)
                _ = try await fanSelf()

                let followed = try await api.post("/douyin/relation/action/", [("to_user_id", author.idString), ("action_type", "1"), ("token", fan.token)])
                #expect(followed.isSuccess)
                let afterFollow = try await seen()
                #expect(afterFollow["is_follow"] as? Bool == true && afterFollow["follower_count"] as? Int == 1)
                #expect(try await fanSelf()["follow_count"] as? Int == 1)

                let video = try await api.publishClip(as: author, title: "counted")
                #expect(try await seen()["work_count"] as? Int == 1)

                let liked = try await api.post("/douyin/favorite/action/", [("video_id", String(video)), ("action_type", "1"), ("token", fan.token)])
                #expect(liked.isSuccess)
                #expect(try await seen()["total_favorited"] as? Int == 1)
                #expect(try await fanSelf()["favorite_count"] as? Int == 1)

                let unfollowed = try await api.post("/douyin/relation/action/", [("to_user_id", author.idString), ("action_type", "2"), ("token", fan.token)])
                #expect(unfollowed.isSuccess)
                let afterUnfollow = try await seen()
                #expect(afterUnfollow["is_follow"] as? Bool == false && afterUnfollow["follower_count"] as? Int == 0)
                // The gateway repeated answers meanwhile (AnswerCache), and none hid a write.
                #expect(try await repeatedByTheGateway(stack) > 0)
            }
        }

        /// Polls of a conversation are repeated from memory, yet each new message shows in
        /// the next poll on either side, whichever chat instance stored it.
        @Test func repeatedPollsShowEachNewMessageAtOnce() async throws {
            try await withTwoInstances(of: .chat) { stack in
                let api = stack.api
                let ann = try await api.register("pollann")
                let bob = try await api.register("pollbob")
                func poll(_ viewer: TestAccount, _ peer: TestAccount) async throws -> [String] {
                    let reply = try await api.get(
                        "/douyin/message/chat/", [("to_user_id", peer.idString), ("token", viewer.token), ("pre_msg_time", "0")]
                    )
                    #expect(reply.isSuccess, "\(reply.text)")
                    return (reply.json["message_list"] as? [[String: any Sendable]] ?? []).compactMap { $0["content"] as? String }
                }
                func send(_ from: TestAccount, _ to: TestAccount, _ text: String) async throws {
                    let sent = try await api.post(
                        "/douyin/message/action/", [("to_user_id", to.idString), ("action_type", "1"), ("content", text), ("token", from.token)]
                    )
                    #expect(sent.isSuccess, "\(sent.text)")
                }
                let before = try await repeatedByTheGateway(stack)
                for _ in 0..<4 { #expect(try await poll(ann, bob).isEmpty) }
                #expect(try await repeatedByTheGateway(stack) > before, "polls with nothing new are repeated")

                for round in 1...4 {
                    try await send(round % 2 == 0 ? ann : bob, round % 2 == 0 ? bob : ann, "m\(round)")
                    let expected = (1...round).map { "m\($0)" }
                    #expect(try await poll(ann, bob) == expected)
                    #expect(try await poll(bob, ann) == expected)
                    #expect(try await poll(ann, bob) == expected)
                }
            }
        }

        func repeatedByTheGateway(_ stack: Stack) async throws -> Int {
            let admin = try #require(await stack.adminURLs(of: .gateway).first)
            let metrics = try await APIClient(baseURL: admin).get("/metrics").text
            return RoundTripTests.total("douyin_gateway_repeated_answers_total", in: metrics)
        }
    }
}
