import DouyinModels
import DouyinRedis
import Foundation

/// The registry's records in Redis (DESIGN.md section 4).
///
/// Per instance, `douyin:registry:{<service>}:<id>` holds its JSON with a TTL, and
/// the sorted set `douyin:registry:{<service>}` scores each id by its expiry in
/// Unix ms, so readers can drop instances whose heartbeat stopped even before
/// Redis expires the key. The hash tag `{<service>}` keeps one service's keys
/// in one slot, so the same commands work on Redis Cluster.
public struct ServiceRegistry: Sendable {
    public static let eventsChannel = "douyin:registry:events"

    let redis: RedisClient
    /// Unix time in ms: expiry scores are written and compared on it.
    let now: @Sendable () -> Int64

    /// - Parameter now: the wall clock; tests pass one they move themselves.
    public init(redis: RedisClient, now: @escaping @Sendable () -> Int64 = ServiceRegistry.wallClockMilliseconds) {
        self.redis = redis
        self.now = now
    }

    static func setKey(_ service: ServiceName) -> String { "douyin:registry:{\(service.rawValue)}" }
    static func instanceKey(_ service: ServiceName, _ id: String) -> String { "\(setKey(service)):\(id)" }

    /// Records (or refreshes) `instance` for `ttl`, and tells listeners.
    public func register(_ instance: ServiceInstance, ttl: Duration, announce: Bool = true) async throws {
        let json = String(decoding: try JSONEncoder().encode(instance), as: UTF8.self)
        let ttlMilliseconds = Int64(ttl.components.seconds * 1000 + ttl.components.attoseconds / 1_000_000_000_000_000)
        var commands: [[any RedisArgument]] = [
            ["SET", Self.instanceKey(instance.service, instance.id), json, "PX", ttlMilliseconds],
            ["ZADD", Self.setKey(instance.service), now() + ttlMilliseconds, instance.id],
        ]
        if announce { commands.append(["PUBLISH", Self.eventsChannel, instance.service.rawValue]) }
        try Self.check(try await redis.pipeline(commands))
    }

    /// Removes `instance` at once, and tells listeners.
    public func deregister(_ instance: ServiceInstance) async throws {
        try Self.check(
            try await redis.pipeline([
                ["DEL", Self.instanceKey(instance.service, instance.id)],
                ["ZREM", Self.setKey(instance.service), instance.id],
                ["PUBLISH", Self.eventsChannel, instance.service.rawValue],
            ])
        )
    }

    /// The live instances of `service`; expired members are removed on the way.
    public func instances(of service: ServiceName) async throws -> [ServiceInstance] {
        let now = self.now()
        let replies = try await redis.pipeline([
            ["ZREMRANGEBYSCORE", Self.setKey(service), "-inf", "(\(now)"],
            ["ZRANGEBYSCORE", Self.setKey(service), now, "+inf"],
        ])
        try Self.check(replies)
        let ids = replies[1].array?.compactMap(\.string) ?? []
        guard !ids.isEmpty else { return [] }
        let records = try await redis.send(["MGET"] + ids.map { Self.instanceKey(service, $0) as any RedisArgument })
        let decoder = JSONDecoder()
        return (records.array ?? []).compactMap { value in
            guard case .bulk(let bytes) = value else { return nil }
            return try? decoder.decode(ServiceInstance.self, from: Data(bytes))
        }
    }

    @Sendable public static func wallClockMilliseconds() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1000)
    }

    private static func check(_ replies: [RedisValue]) throws {
        for reply in replies {
            if case .error(let message) = reply { throw RedisError.reply(message) }
        }
    }
}
