import DouyinRedis
import DouyinTestSupport
import Logging
import Testing

/// A Redis that wants credentials, and an ACL user allowed only what the services send.
@Suite(.enabled(if: TestServers.enabled, TestServers.skipReason))
struct RedisCredentialsTests {
    static let admin = RedisConfiguration.Credentials(password: "admin-secret")
    static let service = RedisConfiguration.Credentials(username: "douyin", password: "service-secret")

    func withServer(_ body: (RedisServerProcess) async throws -> Void) async throws {
        let server = try await RedisServerProcess.start(
            arguments: RedisServerProcess.aclArguments(servicePassword: Self.service.password, adminPassword: Self.admin.password),
            admin: Self.admin
        )
        defer { server.stop() }
        try await body(server)
    }

    @Test func theRightCredentialsWorkOnEveryConnectionTheWrongOnesAreRefused() async throws {
        try await withServer { server in
            let client = RedisClient(server.configuration(Self.service))
            try await client.send("SET", "douyin:test", "1")
            #expect(try await client.send("GET", "douyin:test").string == "1")
            // A connection dropped and made again authenticates again.
            await client.shutdown()
            let again = RedisClient(server.configuration(Self.service))
            #expect(try await again.pipeline([["INCR", "douyin:test"], ["INCR", "douyin:test"]]).map(\.integer) == [2, 3])
            await again.shutdown()

            let wrong = RedisClient(server.configuration(.init(username: "douyin", password: "guess")))
            await #expect { try await wrong.send("PING") } throws: { error in
                guard case .authentication(let message) = error as? RedisError else { return false }
                return message.hasPrefix("WRONGPASS")
            }
            await wrong.shutdown()
            let none = RedisClient(server.configuration(nil))
            await #expect { try await none.send("PING") } throws: { ($0 as? RedisError) == .reply("NOAUTH Authentication required.") }
            await none.shutdown()
        }
    }

    @Test func theServiceUserMaySendOnlyWhatTheServicesSend() async throws {
        try await withServer { server in
            let client = RedisClient(server.configuration(Self.service))
            defer { Task { await client.shutdown() } }
            let allowed = try await client.pipeline([
                ["SET", "douyin:a", "1"], ["GET", "douyin:a"], ["MGET", "douyin:a", "douyin:b"], ["INCR", "douyin:c"],
                ["DECR", "douyin:c"], ["PEXPIRE", "douyin:c", 1000, "NX"], ["PTTL", "douyin:c"], ["DEL", "douyin:a"],
                ["ZADD", "douyin:z", 1, "m"], ["ZRANGEBYSCORE", "douyin:z", 0, "+inf"], ["ZREMRANGEBYSCORE", "douyin:z", "-inf", "(0"],
                ["ZREM", "douyin:z", "m"], ["PUBLISH", "douyin:events", "x"], ["PING"],
            ])
            #expect(allowed.allSatisfy { if case .error = $0 { false } else { true } }, "\(allowed)")
            for refused in [["FLUSHALL"], ["KEYS", "*"], ["GET", "other:key"], ["CONFIG", "GET", "requirepass"]] as [[any RedisArgument]] {
                await #expect(throws: RedisError.self) { try await client.send(refused) }
            }
        }
    }

    @Test func theSubscriberAuthenticatesToo() async throws {
        try await withServer { server in
            let subscriber = RedisSubscriber(server.configuration(Self.service), channels: ["douyin:events"], logger: Logger(label: "test"))
            subscriber.start()
            defer { subscriber.stop() }
            let client = RedisClient(server.configuration(Self.service))
            defer { Task { await client.shutdown() } }
            var messages = subscriber.messages.makeAsyncIterator()
            // Published until the subscriber, on its own thread, has subscribed.
            let publishing = Task {
                while !Task.isCancelled {
                    _ = try? await client.send("PUBLISH", "douyin:events", "hello")
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            defer { publishing.cancel() }
            let first = await messages.next()
            #expect(first?.payload == Array("hello".utf8))
        }
    }
}
