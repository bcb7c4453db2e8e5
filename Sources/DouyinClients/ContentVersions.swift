import DouyinModels
import DouyinRedis
import Logging

/// Counters in Redis that say when cached pages and profiles went stale: one for
/// the public feed, one per user, one per video (its comments), one per
/// conversation (its messages).
///
/// Every write that changes what a feed page or a user's profile shows bumps
/// them after it commits and before it answers. A cached item is valid only for
/// the version it was built at, so any read issued after a write returns sees a
/// newer version and misses the cache: read-your-writes on every instance, for
/// one Redis round trip per read.
public struct ContentVersions: Sendable {
    static let feedKey = "douyin:feed:version"
    static func userKey(_ id: UserID) -> String { "douyin:user:\(id):version" }
    static func videoKey(_ id: Int64) -> String { "douyin:video:\(id):version" }
    static func conversationKey(_ a: UserID, _ b: UserID) -> String { "douyin:conversation:\(min(a, b)):\(max(a, b)):version" }

    let counters: any VersionCounters
    let logger: Logger

    /// Bumps of one event-loop turn leave together (`CoalescingVersionCounters`).
    public init(redis: RedisClient, logger: Logger) {
        self.init(counters: CoalescingVersionCounters(RedisVersionCounters(redis: redis)), logger: logger)
    }

    /// - Parameter counters: where the counters live (Redis in the services; memory in unit tests).
    public init(counters: any VersionCounters, logger: Logger) {
        self.counters = counters
        self.logger = logger
    }

    /// The feed's version; throws when Redis cannot say (then no cache may be used).
    public func feed() async throws -> Int64 {
        try await counters.read([Self.feedKey])[0]
    }

    /// Each user's version, in one round trip: one MGET, so a page of 100 users is one
    /// command for Redis and one reply to decode rather than a hundred.
    public func users(_ ids: [UserID]) async throws -> [UserID: Int64] {
        guard !ids.isEmpty else { return [:] }
        let values = try await counters.read(ids.map(Self.userKey))
        return Dictionary(zip(ids, values), uniquingKeysWith: { first, _ in first })
    }

    /// The feed's version and these users', in one MGET.
    public func feedAndUsers(_ ids: [UserID]) async throws -> (feed: Int64, users: [UserID: Int64]) {
        let values = try await counters.read([Self.feedKey] + ids.map(Self.userKey))
        return (values[0], Dictionary(zip(ids, values.dropFirst()), uniquingKeysWith: { first, _ in first }))
    }

    /// A video's version (its comments); throws when Redis cannot say.
    public func video(_ id: Int64) async throws -> Int64 {
        try await counters.read([Self.videoKey(id)])[0]
    }

    /// The version of the conversation between two users (its messages); throws when Redis cannot say.
    public func conversation(_ a: UserID, _ b: UserID) async throws -> Int64 {
        try await counters.read([Self.conversationKey(a, b)])[0]
    }

    /// The Redis command that marks the conversation between two users stale, for the
    /// chat service's delivery, which sends it in the same write as the message itself.
    public static func conversationChanged(_ a: UserID, _ b: UserID) -> [any RedisArgument] {
        RedisVersionCounters.incrementCommand(conversationKey(a, b))
    }

    /// What an answer built at these versions holds for: the gateway may repeat it
    /// while they hold (`AnswerValidity`).
    public static func validity(
        feed: Int64? = nil, users: [UserID: Int64] = [:], videos: [Int64: Int64] = [:], maxAge: Duration
    ) -> AnswerValidity {
        let users = users.sorted { $0.key < $1.key }
        let videos = videos.sorted { $0.key < $1.key }
        return AnswerValidity(
            keys: (feed.map { _ in [feedKey] } ?? []) + users.map { userKey($0.key) } + videos.map { videoKey($0.key) },
            versions: (feed.map { [$0] } ?? []) + users.map(\.value) + videos.map(\.value),
            maxAge: maxAge
        )
    }

    /// What an answer built at a conversation's version holds for.
    public static func validity(conversationOf a: UserID, and b: UserID, version: Int64, maxAge: Duration) -> AnswerValidity {
        AnswerValidity(keys: [conversationKey(a, b)], versions: [version], maxAge: maxAge)
    }

    /// Marks the feed, these users' profiles and these videos' comments stale. A failure is logged, not
    /// thrown: the write is committed, and caches also expire on their own.
    public func changed(users: [UserID] = [], videos: [Int64] = []) async {
        do {
            try await counters.increment([Self.feedKey] + Set(users).map(Self.userKey) + Set(videos).map(Self.videoKey))
        } catch {
            logger.warning("could not bump content versions; caches may lag for their lifetime", metadata: ["error": "\(error)"])
        }
    }
}
