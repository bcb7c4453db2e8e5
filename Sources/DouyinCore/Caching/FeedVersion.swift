import DouyinRedis
import Logging

/// A counter in Redis that every write changing what the public feed shows
/// bumps after it commits: a publish, a like, a comment, a follow.
///
/// A cache of feed pages is valid only for the version it was built at. A
/// writer bumps before it answers, so any read issued after the write returns
/// sees a newer version and misses the cache: read-your-writes across every
/// instance, at the cost of one Redis round trip per read.
public struct FeedVersion: Sendable {
    /// One key, so it lives on one Redis Cluster slot like any other.
    static let key = "douyin:feed:version"
    let redis: RedisClient
    let logger: Logger

    public init(redis: RedisClient, logger: Logger) {
        self.redis = redis
        self.logger = logger
    }

    /// The current version; throws when Redis cannot say (then no cache may be used).
    public func current() async throws -> Int64 {
        let reply = try await redis.send("GET", Self.key)
        return reply.isNull ? 0 : (reply.integer ?? 0)
    }

    /// Marks every cached page stale. A failure is logged, not thrown: the write
    /// itself is committed, and caches also expire on their own within seconds.
    public func bump() async {
        do {
            _ = try await redis.send("INCR", Self.key)
        } catch {
            logger.warning("could not bump the feed version; cached feed pages may lag for their lifetime", metadata: ["error": "\(error)"])
        }
    }
}
