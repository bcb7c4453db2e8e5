import DouyinRedis

/// Counters of login attempts, each living for a window from its first attempt.
public protocol AttemptCounters: Sendable {
    /// Adds one to each counter (a new one starts its window); each one's count and the
    /// time left in its window, in the order given. Atomic per counter.
    func increment(_ counters: [(key: String, window: Duration)]) async throws -> [(count: Int64, remaining: Duration)]
    /// Forgets `reset`, and takes one back from `giveBack` (whose window goes on).
    func settle(reset: String, giveBack: String, window: Duration) async throws
}

/// The counters in Redis: `INCR` and `PEXPIRE ... NX` in one pipeline, so concurrent
/// attempts are counted exactly and a window starts at its first attempt.
public struct RedisAttemptCounters: AttemptCounters {
    let redis: RedisClient

    public init(redis: RedisClient) {
        self.redis = redis
    }

    public func increment(_ counters: [(key: String, window: Duration)]) async throws -> [(count: Int64, remaining: Duration)] {
        let replies = try await redis.pipeline(counters.flatMap { counter -> [[any RedisArgument]] in
            [["INCR", counter.key], ["PEXPIRE", counter.key, Self.milliseconds(counter.window), "NX"], ["PTTL", counter.key]]
        })
        guard replies.count == counters.count * 3 else { throw RedisError.reply("a pipeline of \(counters.count * 3) got \(replies.count) replies") }
        return counters.indices.map { index in
            (replies[index * 3].integer ?? 0, .milliseconds(max(0, replies[index * 3 + 2].integer ?? 0)))
        }
    }

    public func settle(reset: String, giveBack: String, window: Duration) async throws {
        _ = try await redis.pipeline([["DEL", reset], ["DECR", giveBack], ["PEXPIRE", giveBack, Self.milliseconds(window), "NX"]])
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
