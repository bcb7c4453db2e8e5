import DouyinRedis
import DouyinTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// The client against a real three-primary Redis Cluster (started per test).
@Suite(.enabled(if: TestServers.enabled, TestServers.skipReason))
struct RedisClusterTests {
    func withCluster(
        replicas: Int = 0, seeds: (RedisClusterProcess) -> [RedisNode] = { Array($0.nodes.prefix(1)) },
        _ body: (RedisClusterProcess, RedisClient) async throws -> Void
    ) async throws {
        let cluster = try await RedisClusterProcess.start(replicas: replicas)
        let client = RedisClient(RedisConfiguration(timeout: .seconds(2), clusterNodes: seeds(cluster)))
        do {
            try await body(cluster, client)
        } catch {
            await client.shutdown()
            cluster.stop()
            throw error
        }
        await client.shutdown()
        cluster.stop()
    }

    /// From one seed the client finds every node; each key lands on its slot's node.
    @Test func everyKeyGoesToItsSlotsNode() async throws {
        try await withCluster { cluster, client in
            let keys = (0..<300).map { "douyin:test:key:\($0)" }
            let replies = try await client.pipeline(keys.enumerated().map { ["SET", $1, $0] })
            #expect(replies.allSatisfy { $0 == .status("OK") })
            // One MGET over every slot, split per node and put back in order.
            let values = try await client.send(["MGET"] + keys.map { $0 as any RedisArgument } + ["douyin:test:absent"])
            #expect(values.array?.map(\.string) == keys.indices.map { String($0) } + [nil])
            for node in cluster.nodes {
                try await cluster.admin(node) { client in
                    let size = try await client.send("DBSIZE").integer ?? 0
                    #expect(size > 50, "\(node) holds its share")
                }
            }
            #expect(try await client.send(["DEL"] + keys.map { $0 as any RedisArgument }).integer == 300)
            #expect(try await client.send("PING") == .status("PONG"))
        }
    }

    /// Commands keep their order whatever node serves them.
    @Test func aPipelineOverSeveralNodesAnswersInOrder() async throws {
        try await withCluster { _, client in
            var commands: [[any RedisArgument]] = []
            for index in 0..<50 { commands += [["INCR", "douyin:test:n:\(index)"], ["GET", "douyin:test:n:\(index)"]] }
            let replies = try await client.pipeline(commands)
            #expect(replies.enumerated().allSatisfy { $0.offset % 2 == 0 ? $0.element == .integer(1) : $0.element.string == "1" })
        }
    }

    /// A slot moves to another node while commands on its keys run: they follow ASK during
    /// the move and MOVED after it, and not one increment is lost or counted twice.
    @Test func aSlotMovingUnderLoadLosesNothing() async throws {
        try await withCluster { cluster, client in
            let tag = "{douyin:test:moving}"
            let slot = RedisClusterSlots.slot(of: Array(tag.utf8))
            let keys = (0..<40).map { "\(tag):\($0)" }
            _ = try await client.pipeline(keys.map { ["SET", $0, 0] })
            let source = try #require(try await cluster.owner(of: slot))
            let target = try #require(cluster.nodes.first { $0 != source })
            let counted = Mutex<[String: Int]>([:])
            let done = Atomic<Bool>(false)
            async let load: Void = {
                var round = 0
                while !done.load(ordering: .relaxed) || round < 20 {
                    let batch = keys.shuffled().prefix(8)
                    let replies = try await client.pipeline(batch.map { ["INCR", $0] })
                    for (key, reply) in zip(batch, replies) {
                        guard case .integer = reply else { Issue.record("INCR \(key): \(reply)"); continue }
                        counted.withLock { $0[key, default: 0] += 1 }
                    }
                    round += 1
                }
            }()
            try await Task.sleep(for: .milliseconds(100))
            try await cluster.migrate(slot: slot, from: source, to: target)
            try await Task.sleep(for: .milliseconds(100))
            done.store(true, ordering: .relaxed)
            try await load
            #expect(try await cluster.owner(of: slot) == target)
            let stored = try await client.send(["MGET"] + keys.map { $0 as any RedisArgument }).array?.map { Int($0.string ?? "") ?? -1 }
            let expected = counted.withLock { counts in keys.map { counts[$0] ?? 0 } }
            #expect(stored == expected)
            #expect(expected.reduce(0, +) > 100, "the load ran through the move")
        }
    }

    /// Pub/sub spans the cluster: a subscriber on one node hears what is published through another.
    @Test func aSubscriberOnOneNodeHearsPublishesFromAnother() async throws {
        try await withCluster(seeds: { $0.nodes }) { cluster, client in
            let subscriber = RedisSubscriber(
                RedisConfiguration(timeout: .seconds(2), clusterNodes: [cluster.nodes[2]]), channels: ["douyin:test:events"],
                logger: Logger(label: "test")
            )
            subscriber.start()
            defer { subscriber.stop() }
            let heard = Task { () -> String? in
                for await message in subscriber.messages { return String(decoding: message.payload, as: UTF8.self) }
                return nil
            }
            // Subscribed (NUMSUB counts the node's own subscribers), then published elsewhere.
            var subscribed = false
            for _ in 0..<100 where !subscribed {
                try await cluster.admin(cluster.nodes[2]) { admin in
                    subscribed = try await admin.send("PUBSUB", "NUMSUB", "douyin:test:events").array?.last?.integer ?? 0 > 0
                }
                if !subscribed { try await Task.sleep(for: .milliseconds(20)) }
            }
            _ = try await client.send("PUBLISH", "douyin:test:events", "hello")
            try await cluster.admin(cluster.nodes[0]) { _ = try await $0.send("PUBLISH", "douyin:test:events", "hello") }
            #expect(await heard.value == "hello")
        }
    }

    /// A primary dies; its replica takes over. The client, whose connection to the dead node
    /// fails, reads the map again and carries on with the new primary.
    @Test func aPrimaryThatGoesAwayIsReplacedByItsReplica() async throws {
        try await withCluster(replicas: 1, seeds: { $0.nodes }) { cluster, client in
            let key = "douyin:test:failover"
            let slot = RedisClusterSlots.slot(of: Array(key.utf8))
            let primary = try #require(try await cluster.owner(of: slot))
            // Written and acknowledged by the replica (WAIT counts this connection's writes)
            // before the primary dies, so the value survives the failover.
            try await cluster.admin(primary) { admin in
                _ = try await admin.send("SET", key, "kept")
                #expect(try await admin.send("WAIT", 1, 2000).integer == 1)
            }
            #expect(try await client.send("GET", key).string == "kept")
            cluster.kill(primary)
            var value: String?
            let deadline = ContinuousClock.now + .seconds(30)
            while value == nil, ContinuousClock.now < deadline {
                value = try? await client.send("GET", key).string
                if value == nil { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(value == "kept")
            let survivors = cluster.nodes.filter { $0 != primary }
            let newPrimary = try await cluster.owner(of: slot, asking: survivors)
            #expect(newPrimary != nil && newPrimary != primary)
            // Writes anywhere go on: a node still catching up answers CLUSTERDOWN for a moment,
            // which the client waits out.
            #expect(try await client.send("INCR", "douyin:test:after-failover").integer == 1)
        }
    }

    /// A node that answers CLUSTERDOWN (its slot uncovered for a moment, as while a failover
    /// spreads) is asked again once the cluster settles; the command runs once.
    @Test func aClusterDownForAMomentIsWaitedOut() async throws {
        try await withCluster(seeds: { $0.nodes }) { cluster, client in
            let key = "douyin:test:down"
            let slot = RedisClusterSlots.slot(of: Array(key.utf8))
            let owner = try #require(try await cluster.owner(of: slot))
            try await cluster.admin(owner) { admin in
                let reply = try await admin.send("CLUSTER", "DELSLOTS", slot)
                #expect(reply == .status("OK"))
            }
            let answer = Task { try await client.send("INCR", key) }
            try await Task.sleep(for: .milliseconds(300))
            try await cluster.admin(owner) { admin in
                let reply = try await admin.send("CLUSTER", "ADDSLOTS", slot)
                #expect(reply == .status("OK"))
            }
            #expect(try await answer.value == .integer(1))
        }
    }
}
