/// How many entries each kind of in-memory cache may hold (`cache.*` in the
/// configuration); each cache evicts its least recently used entry beyond that.
public struct CacheSizes: Sendable, Equatable {
    /// User objects, one per user, in the user and video services (`cache.users`).
    public var users = 100_000
    /// Viewers whose follow and like flags are kept (`cache.viewers`).
    public var viewers = 10_000
    /// Pages per list cache: a video's comments, a user's relations (`cache.pages`).
    public var pages = 20_000
    /// Viewers' encoded first feed pages, some kilobytes each (`cache.feed_pages`).
    public var feedPages = 2_000
    /// Verified tokens (`cache.tokens`).
    public var tokens = 50_000
    /// Client addresses the rate limiter tracks (`cache.clients`).
    public var clients = 100_000
    /// User ids known to exist (`cache.known_users`).
    public var knownUsers = 100_000
    /// Answers the gateway repeats while their versions hold (`cache.answers`)...
    public var answers = 50_000
    /// ...and the bytes their bodies may take together (`cache.answer_bytes`): a
    /// profile is some hundred bytes, a feed page some ten kilobytes.
    public var answerBytes = 64 << 20

    public init() {}
}
