import DouyinCrypto
import DouyinPostgres
import DouyinTestSupport
import Foundation
import Logging
import Testing

extension EndToEnd {
    /// Register, login and user info through the gateway, against the real executables.
    @Suite struct AccountTests {
        @Test func registerLoginAndUserInfo() async throws {
            try await Stack.with { stack in
                let api = stack.api
                let alice = try await api.register("alice")
                let login = try await api.post("/douyin/user/login/", [("username", "alice"), ("password", "secret12")])
                #expect(login.isSuccess)
                #expect(login.json["user_id"] as? Int == alice.id)
                let loginToken = try #require(login.json["token"] as? String)

                for token in [alice.token, loginToken] {
                    let info = try await api.get("/douyin/user/", [("user_id", String(alice.id)), ("token", token)])
                    #expect(info.isSuccess, "\(info.text)")
                    #expect(info.headers.first(name: "content-type") == "application/json; charset=utf-8")
                    let user = try #require(info.json["user"] as? [String: any Sendable])
                    #expect(user["id"] as? Int == alice.id)
                    #expect(user["name"] as? String == "alice")
                    #expect(user["is_follow"] as? Bool == false)
                    for field in ["follow_count", "follower_count", "total_favorited", "work_count", "favorite_count"] {
                        #expect(user[field] as? Int == 0, "\(field)")
                    }
                    for field in ["avatar", "background_image", "signature"] { #expect(user[field] is String, "\(field)") }
                }

                // The Bearer header and a form body on GET carry the token too (API.md 1.1, 3).
                let bearer = try await api.get("/douyin/user/", [("user_id", String(alice.id))], headers: [("Authorization", "Bearer \(alice.token)")])
                #expect(bearer.isSuccess)
                let form = try await api.send(.GET, "/douyin/user/", form: [("user_id", String(alice.id)), ("token", alice.token)])
                #expect(form.isSuccess, "\(form.text)")
                let multipart = try await api.send(
                    .GET, "/douyin/user/", query: [("user_id", String(alice.id))],
                    headers: [("Content-Type", "multipart/form-data; boundary=XX")],
                    body: .init(string: "--XX\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\n\(alice.token)\r\n--XX--\r\n")
                )
                #expect(multipart.isSuccess, "\(multipart.text)")

                // Another user's profile, relative to the requester.
                let bob = try await api.register("bob")
                let other = try await api.get("/douyin/user/", [("user_id", String(bob.id)), ("token", alice.token)])
                #expect((other.json["user"] as? [String: any Sendable])?["name"] as? String == "bob")
            }
        }

        @Test func usernamesAreExactAndUnique() async throws {
            try await Stack.with { stack in
                let api = stack.api
                _ = try await api.register("carol")
                let duplicate = try await api.post("/douyin/user/register/", [("username", "carol"), ("password", "another1")])
                #expect(duplicate.isCleanFailure)
                #expect(duplicate.json["token"] == nil)
                // Case and Unicode form make different usernames (API.md 1.2).
                for name in ["Carol", "caf\u{E9}", "cafe\u{301}", "😀", String(repeating: "é", count: 32)] {
                    _ = try await api.register(name)
                }
            }
        }

        @Test func concurrentRegistrationsOfOneNameCreateOneAccount() async throws {
            try await Stack.with { stack in
                let api = stack.api
                let replies = try await withThrowingTaskGroup(of: APIClient.Reply.self) { group in
                    for _ in 0..<50 {
                        group.addTask { try await api.post("/douyin/user/register/", [("username", "dave"), ("password", "secret12")]) }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(replies.filter(\.isSuccess).count == 1)
                #expect(replies.filter(\.isCleanFailure).count == 49)
                let db = PostgresClient(.init(conninfo: stack.databaseURL, maxConnections: 1), logger: Logger(label: "test"))
                let count = try await db.query("SELECT count(*) FROM auth.credentials WHERE username = \("dave")").first!.column(0, as: Int64.self)
                await db.shutdown()
                #expect(count == 1)
            }
        }

        @Test func wrongPasswordAndUnknownUserFailTheSameWay() async throws {
            try await Stack.with { stack in
                let api = stack.api
                _ = try await api.register("erin")
                let wrong = try await api.post("/douyin/user/login/", [("username", "erin"), ("password", "secret13")])
                let unknown = try await api.post("/douyin/user/login/", [("username", "nobody"), ("password", "secret12")])
                let caseChanged = try await api.post("/douyin/user/login/", [("username", "Erin"), ("password", "secret12")])
                for reply in [wrong, unknown, caseChanged] {
                    #expect(reply.isCleanFailure)
                    #expect((reply.json["token"] as? String ?? "").isEmpty)
                    #expect(reply.status == wrong.status)
                    #expect(reply.statusCode == wrong.statusCode)
                    #expect(reply.statusMessage == wrong.statusMessage)
                }
            }
        }

        @Test func invalidTokensAreRefused() async throws {
            try await Stack.with { stack in
                let api = stack.api
                let frank = try await api.register("frank")
                let id = String(frank.id)
                var tampered = Array(frank.token)
                tampered[tampered.count / 2] = tampered[tampered.count / 2] == "A" ? "B" : "A"
                let lastChanged = String(frank.token.dropLast()) + (frank.token.last == "A" ? "B" : "A")

                // A correctly signed but expired token, made with the stack's own key.
                let db = PostgresClient(.init(conninfo: stack.databaseURL, maxConnections: 1), logger: Logger(label: "test"))
                let row = try await db.query("SELECT kid, private_key FROM auth.signing_keys WHERE retired_at IS NULL").first!
                await db.shutdown()
                let (kid, seed) = try row.decode(String.self, PostgresBytes.self)
                let signer = TokenSigner(kid: kid, key: try Ed25519PrivateKey(rawRepresentation: seed.bytes))
                let expired = try signer.issue(subject: Int64(frank.id), now: Date(timeIntervalSinceNow: -7200), ttl: .seconds(3600))
                let fresh = try signer.issue(subject: Int64(frank.id), ttl: .seconds(3600))
                #expect(try await api.get("/douyin/user/", [("user_id", id), ("token", fresh)]).isSuccess)

                for token in [String(tampered), lastChanged, frank.token + "x", String(frank.token.dropLast()), expired, "garbage"] {
                    let reply = try await api.get("/douyin/user/", [("user_id", id), ("token", token)])
                    #expect(reply.isCleanFailure, "\(token): \(reply.text)")
                }
                let missing = try await api.get("/douyin/user/", [("user_id", id)])
                #expect(missing.isCleanFailure)
                for header in ["Basic \(frank.token)", frank.token, "Bearer  \(frank.token)", "Bearer \(frank.token) x"] {
                    let reply = try await api.get("/douyin/user/", [("user_id", id)], headers: [("Authorization", header)])
                    #expect(reply.isCleanFailure, "\(header)")
                }
                // The feed takes an optional token, but a non-empty invalid one still fails.
                let feed = try await api.get("/douyin/feed/", [("token", String(tampered))])
                #expect(feed.isCleanFailure)
            }
        }

        @Test func badInputGetsJSONErrorsNever5xx() async throws {
            try await Stack.with { stack in
                let api = stack.api
                let gina = try await api.register("gina")
                let token = gina.token
                var requests: [(String, String, [(String, String)])] = [
                    ("POST", "/douyin/user/register/", []),
                    ("POST", "/douyin/user/register/", [("username", "x")]),
                    ("POST", "/douyin/user/register/", [("username", "shortpw"), ("password", "12345")]),
                    ("POST", "/douyin/user/register/", [("username", "longpw"), ("password", String(repeating: "p", count: 33))]),
                    ("POST", "/douyin/user/register/", [("username", String(repeating: "u", count: 33)), ("password", "secret12")]),
                    ("POST", "/douyin/user/register/", [("username", String(repeating: "u", count: 3000)), ("password", "secret12")]),
                    ("POST", "/douyin/user/register/", [("username", "tab\there"), ("password", "secret12")]),
                    ("POST", "/douyin/user/register/", [("username", "nul\u{0}x"), ("password", "secret12")]),
                    ("POST", "/douyin/user/login/", [("username", "gina")]),
                    ("GET", "/douyin/user/", [("token", token)]),
                ]
                for bad in ["abc", "1.5", "-1", "0", "9007199254740992", "99999999999999999999", " 1", "0x10", "424242"] {
                    requests.append(("GET", "/douyin/user/", [("user_id", bad), ("token", token)]))
                }
                for (method, path, query) in requests {
                    let reply = try await api.send(method == "GET" ? .GET : .POST, path, query: query)
                    #expect(reply.isCleanFailure, "\(method) \(path) \(query.map(\.0)): \(reply.status) \(reply.text)")
                }
                // Invalid UTF-8 in a percent-encoded value.
                let raw = try await api.send(.GET, "/douyin/user/", query: [("token", token)], headers: [])
                #expect(raw.isCleanFailure)
                let badUTF8 = try await APIClient(baseURL: stack.gatewayURL + "/douyin/user/?user_id=%FF%FE&token=" + token).get("")
                #expect(badUTF8.isCleanFailure)
                // A request target of 8 KiB is handled normally.
                let longQuery = try await api.get("/douyin/user/", [("user_id", String(gina.id)), ("token", token), ("pad", String(repeating: "z", count: 7000))])
                #expect(longQuery.isSuccess)
            }
        }

        @Test func routingErrorsAreJSON() async throws {
            try await Stack.with { stack in
                let api = stack.api
                let notFound = try await api.get("/douyin/nothing/")
                #expect(notFound.status == 404 && notFound.isCleanFailure)
                for (method, path) in [("GET", "/douyin/user/register/"), ("PUT", "/douyin/user/"), ("DELETE", "/douyin/feed/"), ("POST", "/douyin/user/")] {
                    let reply = try await api.send(.init(rawValue: method), path)
                    #expect(reply.status == 405, "\(method) \(path)")
                    #expect(reply.isCleanFailure)
                }
                let health = try await api.get("/healthz")
                #expect(health.status == 200 && health.statusCode == 0)
            }
        }
    }
}
