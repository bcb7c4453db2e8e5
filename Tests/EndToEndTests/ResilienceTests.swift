import DouyinModels
import DouyinTestSupport
import Foundation
import Testing

extension EndToEnd {
    /// What operators rely on: a dead instance costs a quick 503, a new one is found, SIGTERM is clean.
    @Suite struct ResilienceTests {
        @Test func killedServiceGives503QuicklyAndRestartIsPickedUp() async throws {
            try await Stack.with { stack in
                let api = stack.api
                let reply = try await api.post("/douyin/user/register/", [("username", "henry"), ("password", "secret12")])
                let token = try #require(reply.json["token"] as? String)
                let id = String(try #require(reply.json["user_id"] as? Int))
                #expect(try await api.get("/douyin/user/", [("user_id", id), ("token", token)]).isSuccess)

                stack.kill("user")
                // Not the user info asked above: the gateway may repeat that answer for a
                // moment while its versions hold (AnswerCache), without the service.
                let clock = ContinuousClock()
                let start = clock.now
                let down = try await api.get("/douyin/relation/follow/list/", [("user_id", id), ("token", token)])
                #expect(start.duration(to: clock.now) < .seconds(1))
                #expect(down.status == 503)
                #expect(down.headers.first(name: "content-type") == "application/json; charset=utf-8")
                #expect((down.statusCode ?? 0) != 0 && !(down.statusMessage ?? "").isEmpty)

                try stack.start(.user, name: "user-2")
                var recovered = false
                for _ in 0..<100 where !recovered {
                    recovered = try await api.get("/douyin/user/", [("user_id", id), ("token", token)]).isSuccess
                    if !recovered { try await Task.sleep(for: .milliseconds(100)) }
                }
                #expect(recovered, "a restarted user service was not used within 10 s")
            }
        }

        @Test func sigtermDeregistersAndExitsCleanly() async throws {
            try await Stack.with { stack in
                let before = try await stack.registered(.chat)
                #expect(before.count == 1)
                let statuses = await stack.terminate("chat")
                #expect(statuses == [0])
                let after = try await stack.registered(.chat)
                #expect(after.isEmpty)
                #expect(stack.log(of: "chat").contains("deregistered"))
            }
        }

        @Test func requestsSpreadOverSeveralInstances() async throws {
            try await Stack.with { stack in
                try stack.start(.auth, name: "auth-2")
                try await stack.waitUntilRegistered(.auth, count: 2)
                // The gateway learns of the new instance by event or, at the latest, by its one-second poll.
                try await Task.sleep(for: .milliseconds(1500))
                let api = stack.api
                for index in 0..<30 {
                    let reply = try await api.post("/douyin/user/register/", [("username", "user\(index)"), ("password", "secret12")])
                    #expect(reply.isSuccess, "\(reply.text)")
                }
                // Both auth processes served registrations (power of two choices spreads load).
                #expect(await stack.logs("auth", contain: "/douyin/user/register/"))
                #expect(await stack.logs("auth-2", contain: "/douyin/user/register/"))
            }
        }
    }
}
