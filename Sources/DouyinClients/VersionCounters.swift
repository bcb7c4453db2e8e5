import DouyinRedis

/// Where the content version counters live.
public protocol VersionCounters: Sendable {
    /// The counters' values, in the order of `keys`; an absent counter is 0. One round trip.
    func read(_ keys: [String]) async throws -> [Int64]
    /// Adds one to each counter. One round trip.
    func increment(_ keys: [String]) async throws
}

/// The counters in Redis: one MGET to read, one pipeline of INCRs to bump.
public struct RedisVersionCounters: VersionCounters {
    let redis: RedisClient

    public init(redis: RedisClient) {
        self.redis = redis
    }

    public func read(_ keys: [String]) async throws -> [Int64] {
        let reply = try await redis.send(["MGET"] + keys)
        guard let values = reply.array, values.count == keys.count else {
            throw RedisError.reply("MGET answered \(reply) for \(keys.count) keys")
        }
        return values.map { $0.integer ?? 0 }
    }

    public func increment(_ keys: [String]) async throws {
        _ = try await redis.pipeline(keys.map(Self.incrementCommand))
    }

    /// The command that moves one counter, for callers that send it in a pipeline of their own.
    public static func incrementCommand(_ key: String) -> [any RedisArgument] {
        ["INCR", key]
    }
}
