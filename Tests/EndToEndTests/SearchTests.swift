import DouyinTestSupport
import Foundation
import Testing

extension EndToEnd {
    /// `GET /douyin/search/user/` and `/douyin/search/video/` (extensions): substring and
    /// similarity matches, ranked, paged like the lists, with full objects for the viewer.
    @Suite struct SearchTests {
        func names(_ reply: APIClient.Reply, _ field: String, _ key: String) -> [String] {
            (reply.json[field] as? [[String: any Sendable]] ?? []).compactMap { $0[key] as? String }
        }

        @Test func usersByNameAndVideosByTitle() async throws {
            try await Stack.with { stack in
                let api = stack.api
                let alice = try await api.register("alice")
                _ = try await api.register("alicia")
                let alison = try await api.register("ALISON")
                _ = try await api.register("bob")
                #expect(try await api.post("/douyin/relation/action/", [("token", alice.token), ("to_user_id", alison.idString), ("action_type", "1")]).isSuccess)

                // Substring, any case; the exact name first; bob is no match. Anonymous is allowed.
                let anonymous = try await api.get("/douyin/search/user/", [("keyword", "ali")])
                #expect(anonymous.isSuccess, "\(anonymous.text)")
                #expect(Set(names(anonymous, "user_list", "name")) == ["alice", "alicia", "ALISON"])
                #expect(names(try await api.get("/douyin/search/user/", [("keyword", "alice")]), "user_list", "name").first == "alice")
                // Relative to the viewer: alice follows ALISON.
                let mine = try await api.get("/douyin/search/user/", [("keyword", "alison"), ("token", alice.token)])
                let found = try #require((mine.json["user_list"] as? [[String: any Sendable]])?.first)
                #expect(found["name"] as? String == "ALISON" && found["is_follow"] as? Bool == true && found["follower_count"] as? Int == 1)

                let author = try await api.register("maker")
                for title in ["cats playing piano", "piano lesson", "dogs at the beach", "50% off sale"] {
                    _ = try await api.publishClip(as: author, title: title)
                }
                let piano = try await api.get("/douyin/search/video/", [("keyword", "piano"), ("token", alice.token)])
                #expect(Set(names(piano, "video_list", "title")) == ["cats playing piano", "piano lesson"], "\(piano.text)")
                #expect((piano.json["video_list"] as? [[String: any Sendable]])?.first?["author"] is [String: any Sendable])
                // Similar, not contained: trigram similarity finds it.
                #expect(names(try await api.get("/douyin/search/video/", [("keyword", "pianos")]), "video_list", "title").contains("piano lesson"))
                // Wildcards are literal.
                #expect(names(try await api.get("/douyin/search/video/", [("keyword", "%")]), "video_list", "title") == ["50% off sale"])
                #expect(names(try await api.get("/douyin/search/video/", [("keyword", "zebra")]), "video_list", "title").isEmpty)

                // Paging walks every result once.
                var seen: [String] = []
                var cursor = ""
                repeat {
                    var query = [("keyword", "a"), ("limit", "2")]
                    if !cursor.isEmpty { query.append(("cursor", cursor)) }
                    let page = try await api.get("/douyin/search/user/", query)
                    #expect(page.isSuccess)
                    seen += names(page, "user_list", "name")
                    cursor = page.json["next_cursor"] as? String ?? ""
                } while !cursor.isEmpty
                #expect(seen.sorted() == ["ALISON", "alice", "alicia", "maker"])

                // Keywords are validated like every other parameter.
                for bad in [[("keyword", "  ")], [], [("keyword", String(repeating: "x", count: 65))], [("keyword", "a"), ("cursor", "@@")]] {
                    let reply = try await api.get("/douyin/search/video/", bad)
                    #expect(reply.isCleanFailure, "\(bad): \(reply.text)")
                }
                #expect(try await api.get("/douyin/search/user/", [("keyword", "a"), ("token", "not-a-token")]).isCleanFailure)
            }
        }
    }
}
