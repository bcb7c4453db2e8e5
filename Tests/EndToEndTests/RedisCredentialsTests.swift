import DouyinRedis
import DouyinTestSupport
import Foundation
import Testing

extension EndToEnd {
    /// The services against a Redis that wants credentials, as managed Redis does: as an ACL
    /// user allowed only the commands they send, on their own keys and channels.
    @Suite struct RedisCredentialsTests {
        static let servicePassword = "service-secret"
        static let admin = RedisConfiguration.Credentials(password: "admin-secret")
        static let acl = RedisServerProcess.aclArguments(servicePassword: servicePassword, adminPassword: admin.password)

        @Test func theWholeProductRunsAsARestrictedRedisUser() async throws {
            try await Stack.with(
                environment: ["DOUYIN_REDIS_USERNAME": "douyin", "DOUYIN_REDIS_PASSWORD": Self.servicePassword],
                redis: .init(arguments: Self.acl, admin: Self.admin)
            ) { stack in
                let ann = try await stack.api.register("ann")
                let bob = try await stack.api.register("bob")
                #expect(try await stack.api.post("/douyin/user/login/", [("username", "ann"), ("password", "secret12")]).isSuccess)
                let video = try await stack.api.publishClip(as: bob, title: "cached under versions in Redis")
                let steps: [(String, [(String, String)])] = [
                    ("/douyin/relation/action/", [("token", ann.token), ("to_user_id", bob.idString), ("action_type", "1")]),
                    ("/douyin/favorite/action/", [("token", ann.token), ("video_id", String(video)), ("action_type", "1")]),
                    ("/douyin/message/action/", [("token", ann.token), ("to_user_id", bob.idString), ("action_type", "1"), ("content", "hi")]),
                ]
                for (path, query) in steps {
                    let reply = try await stack.api.post(path, query)
                    #expect(reply.isSuccess, "\(path): \(reply.text)")
                }
                let feed = try await stack.api.get("/douyin/feed/", [("token", ann.token)])
                #expect(feed.isSuccess && feed.text.contains(#""is_favorite":true"#), "\(feed.text)")
                let user = try await stack.api.get("/douyin/user/", [("token", ann.token), ("user_id", bob.idString)])
                #expect(user.isSuccess && user.text.contains(#""is_follow":true"#), "\(user.text)")
                #expect(stack.exitedProcesses().isEmpty)
            }
        }

        /// A wrong password is a setting to fix: the process stops at start and says which.
        @Test func aWrongPasswordStopsTheStartNamingTheSetting() async throws {
            let redis = try await RedisServerProcess.start(arguments: Self.acl, admin: Self.admin)
            defer { redis.stop() }
            let attempt = try await StartAttempt.run(.user, environment: [
                "DOUYIN_POSTGRES_URL": try await TestServers.makeDatabase(),
                "DOUYIN_REDIS_PORT": String(redis.port),
                "DOUYIN_REDIS_USERNAME": "douyin",
                "DOUYIN_REDIS_PASSWORD": "not-the-password",
            ])
            #expect(attempt.status == 1, "still running (nil): retrying instead of stopping")
            let said = attempt.output
            #expect(said.contains("DOUYIN_REDIS_PASSWORD") && said.contains("WRONGPASS"), "\(said.suffix(400))")
            #expect(!said.contains("not-the-password"), "the password itself is never written")
        }
    }
}
