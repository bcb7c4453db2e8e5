import DouyinTestSupport
import Foundation
import Testing

extension EndToEnd {
    /// Follows, relation lists and chat through the gateway (API.md 6.11 to 6.16).
    @Suite struct SocialTests {
        func follow(_ api: APIClient, _ who: TestAccount, _ whom: TestAccount, action: String = "1") async throws -> APIClient.Reply {
            try await api.post("/douyin/relation/action/", [("to_user_id", whom.idString), ("action_type", action), ("token", who.token)])
        }

        func user(_ api: APIClient, _ id: TestAccount, as viewer: TestAccount) async throws -> [String: any Sendable] {
            let reply = try await api.get("/douyin/user/", [("user_id", id.idString), ("token", viewer.token)])
            return reply.json["user"] as? [String: any Sendable] ?? [:]
        }

        func list(_ api: APIClient, _ path: String, of owner: TestAccount, as viewer: TestAccount, extra: [(String, String)] = []) async throws -> APIClient.Reply {
            try await api.get(path, [("user_id", owner.idString), ("token", viewer.token)] + extra)
        }

        @Test func followsCountOnceAndUnfollowRestores() async throws {
            try await Stack.with { stack in
                let api = stack.api
                let a = try await api.register("amy")
                let b = try await api.register("ben")
                #expect(try await follow(api, a, b).isSuccess)
                #expect(try await follow(api, a, b).isSuccess)
                #expect(try await user(api, b, as: a)["follower_count"] as? Int == 1)
                #expect(try await user(api, b, as: a)["is_follow"] as? Bool == true)
                #expect(try await user(api, a, as: a)["follow_count"] as? Int == 1)
                #expect(try await user(api, a, as: b)["is_follow"] as? Bool == false)
                #expect(try await follow(api, a, b, action: "2").isSuccess)
                #expect(try await follow(api, a, b, action: "2").isSuccess)
                #expect(try await user(api, b, as: a)["follower_count"] as? Int == 0)
                #expect(try await user(api, a, as: a)["follow_count"] as? Int == 0)

                for bad in [try await follow(api, a, a), try await follow(api, a, b, action: "3"),
                            try await api.post("/douyin/relation/action/", [("to_user_id", "999999"), ("action_type", "1"), ("token", a.token)])] {
                    #expect(bad.isCleanFailure, "\(bad.text)")
                }
            }
        }

        @Test func concurrentFollowsAreExact() async throws {
            try await Stack.with { stack in
                let api = stack.api
                let star = try await api.register("star")
                var fans: [TestAccount] = []
                for index in 0..<20 { fans.append(try await api.register("fan\(index)")) }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for fan in fans {
                        group.addTask { _ = try await follow(api, fan, star) }
                        group.addTask { _ = try await follow(api, fan, star) }
                    }
                    try await group.waitForAll()
                }
                #expect(try await user(api, star, as: star)["follower_count"] as? Int == 20)
                // The follower list pages over all of them, newest first, each once.
                var seen: [Int] = []
                var cursor = ""
                repeat {
                    let page = try await list(api, "/douyin/relation/follower/list/", of: star, as: star,
                                              extra: [("limit", "6")] + (cursor.isEmpty ? [] : [("cursor", cursor)]))
                    #expect(page.isSuccess, "\(page.text)")
                    let users = page.json["user_list"] as? [[String: any Sendable]] ?? []
                    #expect(users.count == 6 || (page.json["next_cursor"] as? String) == "")
                    seen += users.compactMap { $0["id"] as? Int }
                    cursor = page.json["next_cursor"] as? String ?? ""
                } while !cursor.isEmpty
                #expect(seen.count == 20 && Set(seen) == Set(fans.map(\.id)))
                let badCursor = try await list(api, "/douyin/relation/follower/list/", of: star, as: star, extra: [("cursor", "nope")])
                #expect(badCursor.isCleanFailure)
                let badLimit = try await list(api, "/douyin/relation/follower/list/", of: star, as: star, extra: [("limit", "101")])
                #expect(badLimit.isCleanFailure)
            }
        }

        @Test func listsAndFriendsWithLatestMessages() async throws {
            try await Stack.with { stack in
                let api = stack.api
                let a = try await api.register("ann")
                let b = try await api.register("bo")
                let c = try await api.register("cy")
                let d = try await api.register("di")
                _ = try await follow(api, a, b)
                _ = try await follow(api, b, a)
                _ = try await follow(api, a, c)
                _ = try await follow(api, c, a)
                _ = try await follow(api, a, d)  // not mutual

                let following = try await list(api, "/douyin/relation/follow/list/", of: a, as: b)
                let followingIDs = (following.json["user_list"] as? [[String: any Sendable]] ?? []).compactMap { $0["id"] as? Int }
                #expect(followingIDs == [d.id, c.id, b.id])
                // is_follow is relative to the requester (b follows only a).
                let flags = (following.json["user_list"] as? [[String: any Sendable]] ?? []).compactMap { $0["is_follow"] as? Bool }
                #expect(flags == [false, false, false])
                #expect(following.json["next_cursor"] as? String == "")

                _ = try await api.post("/douyin/message/action/", [("to_user_id", b.idString), ("action_type", "1"), ("content", "hi bo"), ("token", a.token)])
                _ = try await api.post("/douyin/message/action/", [("to_user_id", a.idString), ("action_type", "1"), ("content", "hey ann"), ("token", b.token)])
                _ = try await api.post("/douyin/message/action/", [("to_user_id", c.idString), ("action_type", "1"), ("content", "yo cy"), ("token", a.token)])

                let friends = try await list(api, "/douyin/relation/friend/list/", of: a, as: a)
                #expect(friends.isSuccess, "\(friends.text)")
                let entries = friends.json["user_list"] as? [[String: any Sendable]] ?? []
                #expect(entries.compactMap { $0["id"] as? Int } == [c.id, b.id])
                let byID = Dictionary(uniqueKeysWithValues: entries.map { ($0["id"] as? Int ?? 0, $0) })
                #expect(byID[b.id]?["message"] as? String == "hey ann")
                #expect(byID[b.id]?["msgType"] as? Int == 0)
                #expect(byID[c.id]?["message"] as? String == "yo cy")
                #expect(byID[c.id]?["msgType"] as? Int == 1)
                #expect(byID[b.id]?["name"] as? String == "bo")

                let others = try await list(api, "/douyin/relation/friend/list/", of: b, as: a)
                #expect(others.isCleanFailure)
            }
        }

        @Test func chatHistoryBothWaysInOrderAndPolling() async throws {
            try await Stack.with { stack in
                let api = stack.api
                let a = try await api.register("eve")
                let b = try await api.register("fay")
                func send(_ from: TestAccount, _ to: TestAccount, _ text: String) async throws -> APIClient.Reply {
                    try await api.post("/douyin/message/action/", [("to_user_id", to.idString), ("action_type", "1"), ("content", text), ("token", from.token)])
                }
                for index in 0..<6 {
                    #expect(try await send(index % 2 == 0 ? a : b, index % 2 == 0 ? b : a, "m\(index) ✓").isSuccess)
                }
                for (viewer, peer) in [(a, b), (b, a)] {
                    let chat = try await api.get("/douyin/message/chat/", [("to_user_id", peer.idString), ("token", viewer.token)])
                    let messages = chat.json["message_list"] as? [[String: any Sendable]] ?? []
                    #expect(messages.compactMap { $0["content"] as? String } == (0..<6).map { "m\($0) ✓" })
                    let times = messages.compactMap { $0["create_time"] as? Int }
                    #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 })
                    #expect(chat.json["next_cursor"] as? String == "")
                    // Polling from the last time seen returns nothing new.
                    let poll = try await api.get("/douyin/message/chat/", [("to_user_id", peer.idString), ("token", viewer.token), ("pre_msg_time", String(times.last ?? 0))])
                    #expect((poll.json["message_list"] as? [Any])?.isEmpty == true)
                }
                // Paging with limit 2 returns each message once.
                var contents: [String] = []
                var cursor = ""
                repeat {
                    let page = try await api.get("/douyin/message/chat/", [("to_user_id", b.idString), ("token", a.token), ("limit", "2")] + (cursor.isEmpty ? [] : [("cursor", cursor)]))
                    contents += (page.json["message_list"] as? [[String: any Sendable]] ?? []).compactMap { $0["content"] as? String }
                    cursor = page.json["next_cursor"] as? String ?? ""
                } while !cursor.isEmpty
                #expect(contents == (0..<6).map { "m\($0) ✓" })

                for bad in [try await send(a, a, "self"), try await send(a, b, ""), try await send(a, b, String(repeating: "x", count: 1001)),
                            try await api.post("/douyin/message/action/", [("to_user_id", "999999"), ("action_type", "1"), ("content", "x"), ("token", a.token)]),
                            try await api.post("/douyin/message/action/", [("to_user_id", b.idString), ("action_type", "2"), ("content", "x"), ("token", a.token)]),
                            try await api.get("/douyin/message/chat/", [("to_user_id", a.idString), ("token", a.token)])] {
                    #expect(bad.isCleanFailure, "\(bad.text)")
                }
            }
        }
    }
}
