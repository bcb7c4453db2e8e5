@testable import DouyinRedis
import Testing

/// Slots, hash tags, the slot map and redirections, as Redis Cluster defines them.
struct RedisClusterSlotsTests {
    @Test func slotsMatchRedis() {
        // Values from `CLUSTER KEYSLOT` on Redis 7.
        #expect(RedisClusterSlots.crc16(Array("123456789".utf8)) == 0x31C3)
        #expect(RedisClusterSlots.slot(of: Array("foo".utf8)) == 12182)
        #expect(RedisClusterSlots.slot(of: Array("bar".utf8)) == 5061)
        #expect(RedisClusterSlots.slot(of: Array("douyin:registry:{user}".utf8)) == RedisClusterSlots.slot(of: Array("user".utf8)))
        #expect(RedisClusterSlots.slot(of: Array("douyin:registry:{user}:u-1".utf8)) == RedisClusterSlots.slot(of: Array("user".utf8)))
        // An empty tag is no tag; only the first tag counts.
        #expect(RedisClusterSlots.slot(of: Array("{}foo".utf8)) == RedisClusterSlots.slot(of: Array("{}foo".utf8)))
        #expect(RedisClusterSlots.hashed(Array("{}foo".utf8)).count == 5)
        #expect(Array(RedisClusterSlots.hashed(Array("foo{bar}{zap}".utf8))) == Array("bar".utf8))
        #expect(Array(RedisClusterSlots.hashed(Array("foo{{bar}}".utf8))) == Array("{bar".utf8))
        #expect(Array(RedisClusterSlots.hashed(Array("foo{bar".utf8))) == Array("foo{bar".utf8))
    }

    @Test func commandKeys() {
        #expect(RedisClusterSlots.keys(of: ["GET", "k"]) == .one(at: 1))
        #expect(RedisClusterSlots.keys(of: ["zadd", "k", 1, "m"]) == .one(at: 1))
        #expect(RedisClusterSlots.keys(of: ["MGET", "a", "b"]) == .each(from: 1))
        #expect(RedisClusterSlots.keys(of: ["PUBLISH", "channel", "m"]) == .none)
        #expect(RedisClusterSlots.keys(of: ["PING"]) == .none)
        #expect(RedisClusterSlots.keys(of: ["EVAL", "return 1", "1", "k"]) == .one(at: 3))
        #expect(RedisClusterSlots.keys(of: ["EVAL", "return 1", "0"]) == .none)
    }

    @Test func nodes() throws {
        #expect(RedisNode("10.0.0.1:7000") == RedisNode(host: "10.0.0.1", port: 7000))
        #expect(RedisNode("[::1]:7000") == RedisNode(host: "::1", port: 7000))
        #expect(RedisNode("redis-0.redis:6379")?.description == "redis-0.redis:6379")
        for bad in ["redis", "redis:", ":6379", "redis:0", "redis:70000", "redis:6x"] { #expect(RedisNode(bad) == nil, "\(bad)") }
        #expect(try RedisNode.list("a:1, b:2,c:3").map(\.port) == [1, 2, 3])
        #expect(throws: RedisNode.MalformedNode.self) { try RedisNode.list("a:1,b") }
    }

    @Test func slotMapFromClusterSlots() throws {
        let asked = RedisNode(host: "10.0.0.9", port: 7002)
        let reply = RedisValue.array([
            .array([.integer(0), .integer(5460), .array([.bulk(Array("10.0.0.1".utf8)), .integer(7000), .bulk(Array("id1".utf8))])]),
            .array([.integer(5461), .integer(10922), .array([.bulk(Array("10.0.0.2".utf8)), .integer(7001)])]),
            .array([.integer(10923), .integer(16383), .array([.bulk([]), .integer(7002)])]),
        ])
        var map = try RedisSlotMap(clusterSlots: reply, askedNode: asked)
        #expect(map.node(for: 0) == RedisNode(host: "10.0.0.1", port: 7000))
        #expect(map.node(for: 5461) == RedisNode(host: "10.0.0.2", port: 7001))
        #expect(map.node(for: 16383) == asked, "an empty host is the node asked")
        map.assign(0, to: asked)
        #expect(map.node(for: 0) == asked && map.node(for: 1) == RedisNode(host: "10.0.0.1", port: 7000))
        #expect(throws: RedisError.self) { try RedisSlotMap(clusterSlots: .array([.array([.integer(9), .integer(3)])]), askedNode: asked) }
    }

    @Test func redirections() {
        let asked = RedisNode(host: "10.0.0.9", port: 7002)
        #expect(RedisRedirection(.error("MOVED 3999 10.0.0.1:7000"), from: asked)
            == RedisRedirection(.error("MOVED 3999 10.0.0.1:7000"), from: asked))
        let moved = RedisRedirection(.error("MOVED 3999 10.0.0.1:7000"), from: asked)
        #expect(moved?.kind == .moved && moved?.slot == 3999 && moved?.node == RedisNode(host: "10.0.0.1", port: 7000))
        let ask = RedisRedirection(.error("ASK 12 :7001"), from: asked)
        #expect(ask?.kind == .ask && ask?.node == RedisNode(host: "10.0.0.9", port: 7001))
        #expect(RedisRedirection(.error("ERR wrong"), from: asked) == nil)
        #expect(RedisRedirection(.error("MOVED 99999 a:1"), from: asked) == nil)
        #expect(RedisRedirection(.bulk([]), from: asked) == nil)
    }
}
