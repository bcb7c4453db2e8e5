import DouyinClients
import DouyinModels
import DouyinRedis
import DouyinTestSupport
import Foundation
import Logging
import Testing
@testable import ChatService

/// Live delivery against a real Redis: a chat process subscribes to the channels of
/// the users it holds sockets of, and to no others; each message moves its
/// conversation's version.
@Suite(.enabled(if: TestServers.enabled, TestServers.skipReason))
struct DeliveryFeedRedisTests {
    /// How many connections listen on `user`'s channel.
    func listeners(of user: UserID, _ redis: RedisClient) async throws -> Int? {
        try await redis.send("PUBSUB", "NUMSUB", DeliveryFeed.channel(of: user)).array?.last?.integer.map(Int.init)
    }

    func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<100 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    @Test func aProcessHearsOnlyTheUsersItHoldsSocketsOf() async throws {
        let redis = RedisClient(try TestServers.redisConfiguration())
        let sessions = LiveSessions()
        let feed = DeliveryFeed(redis: redis, sessions: sessions, logger: Logger(label: "test"))
        let running = Task { try await feed.run() }
        defer { running.cancel() }
        let base = Int64.random(in: 1_000_000_000...9_000_000_000)
        let (connected, reconnecting, absent) = (base, base + 1, base + 2)

        // The first subscription waits for the subscriber's connection, made on its own thread.
        #expect(try await eventually {
            await feed.listen(for: connected)
            return try await listeners(of: connected, redis) == 1
        })
        let outbox = sessions.open(for: connected)
        let message = Message(id: 1, toUserID: connected, fromUserID: absent, content: "hi", createTime: 1)
        let versions = ContentVersions(redis: redis, logger: Logger(label: "test"))
        let before = try await versions.conversation(connected, absent)
        await feed.publish(message)
        var frames = outbox.frames.makeAsyncIterator()
        #expect(await frames.next() == DeliveryFeed.frame(message))
        // The conversation's answers repeated until now expire, whichever side asks.
        #expect(try await versions.conversation(absent, connected) == before + 1)
        #expect(try await versions.conversation(connected, reconnecting) == 0)
        #expect(try await listeners(of: absent, redis) == 0)

        // A channel stays while its user has a socket here, and for a while after the last one closed.
        await feed.listen(for: reconnecting)
        #expect(try await listeners(of: reconnecting, redis) == 1)
        feed.releaseIdleChannels()
        #expect(try await listeners(of: reconnecting, redis) == 1)
        feed.releaseIdleChannels(now: .now + .seconds(60))
        #expect(try await eventually { try await listeners(of: reconnecting, redis) == 0 })
        #expect(try await listeners(of: connected, redis) == 1)

        sessions.close(outbox)
        feed.releaseIdleChannels(now: .now + .seconds(60))
        #expect(try await eventually { try await listeners(of: connected, redis) == 0 })
        await redis.shutdown()
    }
}
