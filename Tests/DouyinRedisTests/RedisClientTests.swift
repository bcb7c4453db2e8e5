import DouyinRedis
import DouyinTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Synchronization
import Testing

/// Against the test server and, with the same expectations, the test cluster.
@Suite(.enabled(if: TestServers.enabled, TestServers.skipReason))
struct RedisClientTests {
    let key = "test:\(UUID().uuidString)"

    @Test(arguments: RedisTarget.all) func commandsAndReplies(_ target: RedisTarget) async throws {
        let redis = RedisClient(try target.configuration())
        #expect(try await redis.send("SET", key, "v", "PX", 5000) == .status("OK"))
        #expect(try await redis.send("GET", key).string == "v")
        #expect(try await redis.send("INCR", key + ":n").integer == 1)
        #expect(try await redis.send("GET", key + ":missing") == .null)
        await #expect(throws: RedisError.self) { try await redis.send("INCR", key) }
        await redis.shutdown()
    }

    @Test(arguments: RedisTarget.all) func argumentsAreBinarySafe(_ target: RedisTarget) async throws {
        let redis = RedisClient(try target.configuration())
        let value: [UInt8] = [0, 13, 10, 255, 36, 42]
        try await redis.send(["SET", key, value])
        #expect(try await redis.send("GET", key) == .bulk(value))
        await redis.shutdown()
    }

    @Test(arguments: RedisTarget.all) func pipelineKeepsOrderAndReturnsErrorsInPlace(_ target: RedisTarget) async throws {
        let redis = RedisClient(try target.configuration())
        let replies = try await redis.pipeline([["SET", key, "1"], ["INCR", key], ["HGET", key, "f"], ["GET", key]])
        #expect(replies[0] == .status("OK"))
        #expect(replies[1] == .integer(2))
        if case .error = replies[2] {} else { Issue.record("expected an error reply, got \(replies[2])") }
        #expect(replies[3].string == "2")
        await redis.shutdown()
    }

    @Test(arguments: RedisTarget.all) func slowCommandTimesOut(_ target: RedisTarget) async throws {
        let redis = RedisClient(try target.configuration(timeout: .milliseconds(200)))
        let clock = ContinuousClock()
        let start = clock.now
        do {
            // Without the timeout BLPOP would answer nil after 5 s instead of failing.
            let reply = try await redis.send("BLPOP", key, 5)
            Issue.record("BLPOP answered \(reply) before the timeout")
        } catch let error as RedisError {
            guard case .connection = error else { Issue.record("unexpected \(error)"); return }
        }
        #expect(start.duration(to: clock.now) >= .milliseconds(150))
        // The timed-out connection is replaced; the client keeps working.
        #expect(try await redis.send("PING") == .status("PONG"))
        await redis.shutdown()
    }

    /// Killing the client's connections (as a server restart does) must not fail the next command.
    @Test(arguments: RedisTarget.all) func reconnectsAfterConnectionIsKilled(_ target: RedisTarget) async throws {
        let redis = RedisClient(try target.configuration())
        // Only this client's connection: other tests share the server.
        let victim = try #require(try await redis.send("CLIENT", "ID").integer)
        let admin = RedisClient(try target.configuration())
        try await admin.send("CLIENT", "KILL", "ID", victim)
        await admin.shutdown()
        #expect(try await redis.send("PING") == .status("PONG"))
        await redis.shutdown()
    }

    /// Callers share a connection with their commands pipelined; each still gets its own replies.
    @Test(arguments: RedisTarget.all) func concurrentCallersGetTheirOwnReplies(_ target: RedisTarget) async throws {
        let redis = RedisClient(try target.configuration())
        try await withThrowingTaskGroup(of: Void.self) { group in
            for caller in 0..<200 {
                group.addTask {
                    let replies = try await redis.pipeline([["SET", "\(key):\(caller)", "v\(caller)", "PX", 5000], ["GET", "\(key):\(caller)"]])
                    #expect(replies == [.status("OK"), .bulk(Array("v\(caller)".utf8))])
                }
            }
            try await group.waitForAll()
        }
        #expect(redis.usage.open == target.nodeCount, "callers off the event loops share one connection (per node)")
        await redis.shutdown()
    }

    /// A reply larger than any one read arrives in pieces; the parser puts it together.
    @Test(arguments: RedisTarget.all) func largeValuesRoundTrip(_ target: RedisTarget) async throws {
        let redis = RedisClient(try target.configuration())
        let value = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await redis.send(["SET", key, value, "PX", 5000])
        #expect(try await redis.send("GET", key) == .bulk(value))
        await redis.shutdown()
    }

    @Test func unreachableServerFailsFast() async throws {
        for configuration in [
            RedisConfiguration(host: "127.0.0.1", port: 1, timeout: .milliseconds(300)),
            RedisConfiguration(timeout: .milliseconds(300), clusterNodes: [RedisNode(host: "127.0.0.1", port: 1)]),
        ] {
            let redis = RedisClient(configuration)
            await #expect(throws: RedisError.self) { try await redis.send("PING") }
            await redis.shutdown()
        }
    }

    @Test(arguments: RedisTarget.all) func subscriberReceivesPublishedMessages(_ target: RedisTarget) async throws {
        let configuration = try target.configuration()
        let channel = key + ":events"
        let subscriber = RedisSubscriber(configuration, channels: [channel], logger: Logger(label: "test"))
        subscriber.start()
        defer { subscriber.stop() }
        let redis = RedisClient(configuration)
        let received = Mutex<RedisMessage?>(nil)
        let listening = Task {
            for await message in subscriber.messages { received.withLock { $0 = message } }
        }
        defer { listening.cancel() }
        // Publish until the subscription is live (it starts on its own thread; on a
        // cluster, PUBLISH counts only the subscribers of the node it reached).
        for _ in 0..<250 where received.withLock({ $0 }) == nil {
            try await redis.send("PUBLISH", channel, "hello")
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(received.withLock { $0 } == RedisMessage(channel: channel, payload: Array("hello".utf8)))
        await redis.shutdown()
    }

    /// Channels added and dropped while the subscriber runs: once `subscribe` returns, a
    /// message on the channel is heard (no retries needed); after `unsubscribe`, none is.
    @Test(arguments: RedisTarget.all) func channelsComeAndGoWhileTheSubscriberRuns(_ target: RedisTarget) async throws {
        let configuration = try target.configuration()
        let (first, dropped, added) = (key + ":first", key + ":dropped", key + ":added")
        let subscriber = RedisSubscriber(configuration, logger: Logger(label: "test"))
        subscriber.start()
        defer { subscriber.stop() }
        let redis = RedisClient(configuration)
        let received = Received(subscriber)
        defer { received.listening.cancel() }
        // Made before the subscriber's thread has connected: it waits for that connection.
        await subscriber.subscribe(first)
        try await redis.send("PUBLISH", first, "hello")
        #expect(await received.heard(first))

        await subscriber.subscribe(dropped)
        try await redis.send("PUBLISH", dropped, "heard")
        #expect(await received.heard(dropped))

        subscriber.unsubscribe(dropped)
        await subscriber.subscribe(added)  // confirmed after the UNSUBSCRIBE sent before it
        try await redis.send("PUBLISH", dropped, "not heard")
        try await redis.send("PUBLISH", added, "heard")
        #expect(await received.heard(added))
        try await Task.sleep(for: .milliseconds(200))
        #expect(received.all.filter { $0.channel == dropped }.map(\.payload) == [Array("heard".utf8)])
        await redis.shutdown()
    }

    /// A subscriber whose connection is cut connects again and subscribes to every
    /// channel it had, including those added after it started.
    @Test func theSubscriberResubscribesAfterItsConnectionIsCut() async throws {
        // A server of its own: cutting every subscriber must not cut other tests' ones.
        let server = try await RedisServerProcess.start(arguments: [], admin: nil)
        defer { server.stop() }
        let configuration = server.configuration(nil)
        let channel = key + ":added"
        let subscriber = RedisSubscriber(configuration, channels: [key + ":initial"], logger: Logger(label: "test"))
        subscriber.start()
        defer { subscriber.stop() }
        let redis = RedisClient(configuration)
        let received = Received(subscriber)
        defer { received.listening.cancel() }
        for _ in 0..<100 {
            await subscriber.subscribe(channel)
            if try await redis.send("PUBSUB", "NUMSUB", channel).array?.last?.integer == 1 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try await redis.send("CLIENT", "KILL", "TYPE", "pubsub").integer ?? 0 >= 1)
        for _ in 0..<250 where received.all.isEmpty {
            try await redis.send("PUBLISH", channel, "again")
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(received.all.first == RedisMessage(channel: channel, payload: Array("again".utf8)))
        await redis.shutdown()
    }
}

/// A subscription that Redis never confirms (here: a server that accepts connections and
/// never answers) holds its caller no longer than the wait it was given.
@Test(.timeLimit(.minutes(1))) func aSubscriptionNeverConfirmedReturnsAfterItsWait() async throws {
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(listener) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
    }
    #expect(bound && listen(listener, 8) == 0)  // the kernel completes connections; nothing ever reads or answers
    let subscriber = RedisSubscriber(
        RedisConfiguration(host: "127.0.0.1", port: Int(UInt16(bigEndian: address.sin_port)), timeout: .seconds(5)), logger: Logger(label: "test")
    )
    subscriber.start()
    defer { subscriber.stop() }
    // The upper bound is loose: a busy test process may resume the caller late.
    let waited = await ContinuousClock().measure { await subscriber.subscribe("douyin:test", waitingAtMost: .milliseconds(300)) }
    #expect(waited >= .milliseconds(250) && waited < .seconds(30), "\(waited)")
}

/// What a subscriber hears, collected as it arrives.
private final class Received: Sendable {
    private final class Log: Sendable {
        let messages = Mutex<[RedisMessage]>([])
    }

    private let log = Log()
    let listening: Task<Void, Never>

    init(_ subscriber: RedisSubscriber) {
        let log = log
        listening = Task {
            for await message in subscriber.messages { log.messages.withLock { $0.append(message) } }
        }
    }

    var all: [RedisMessage] { log.messages.withLock { $0 } }

    /// Whether a message on `channel` arrives within two seconds.
    func heard(_ channel: String) async -> Bool {
        for _ in 0..<100 {
            if all.contains(where: { $0.channel == channel }) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }
}
