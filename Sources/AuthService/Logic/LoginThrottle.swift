import DouyinModels
import DouyinRedis

/// Counts failed logins in Redis, per username and per client address.
///
/// Limits are generous enough for the contract (API.md 2.1: at least 5 per
/// username and 50 per minute per address) and stop online guessing well
/// before it pays. If Redis is unavailable logins proceed: throttling is a
/// guard, not a dependency of signing in.
public struct LoginThrottle: Sendable {
    public struct Limit: Sendable {
        public var failures: Int
        public var window: Duration
        public init(failures: Int, window: Duration) {
            self.failures = failures
            self.window = window
        }
    }

    let counters: any AttemptCounters
    let perUsername: Limit
    let perAddress: Limit

    public init(
        redis: RedisClient,
        perUsername: Limit = Limit(failures: 10, window: .seconds(15 * 60)),
        perAddress: Limit = Limit(failures: 100, window: .seconds(60))
    ) {
        self.init(counters: RedisAttemptCounters(redis: redis), perUsername: perUsername, perAddress: perAddress)
    }

    /// - Parameter counters: where attempts are counted (Redis in the service; memory in unit tests).
    public init(
        counters: any AttemptCounters,
        perUsername: Limit = Limit(failures: 10, window: .seconds(15 * 60)),
        perAddress: Limit = Limit(failures: 100, window: .seconds(60))
    ) {
        self.counters = counters
        self.perUsername = perUsername
        self.perAddress = perAddress
    }

    static func usernameKey(_ username: String) -> String { "douyin:login-fail:user:\(username)" }
    static func addressKey(_ address: String) -> String { "douyin:login-fail:addr:\(address)" }

    /// Takes one attempt from the username's and the address's budgets before the
    /// password is checked; throws `loginThrottled` (with Retry-After) when either is spent.
    ///
    /// Counting first, in one atomic increment per counter, is what bounds concurrent
    /// guesses: a check followed by a later increment lets a burst of wrong passwords
    /// all pass the check together.
    public func begin(username: String, address: String) async throws {
        let limits = [perUsername, perAddress]
        guard let counts = try? await counters.increment([
            (Self.usernameKey(username), perUsername.window), (Self.addressKey(address), perAddress.window),
        ]) else { return }
        for (counted, limit) in zip(counts, limits) where counted.count > limit.failures {
            let (seconds, attoseconds) = counted.remaining.components
            throw DouyinError(.loginThrottled, retryAfter: max(1, Int(seconds) + (attoseconds > 0 ? 1 : 0)))
        }
    }

    /// A right password: the username's failures are forgotten, and the attempt is given
    /// back to the address (its budget counts failures only).
    public func succeeded(username: String, address: String) async {
        try? await counters.settle(reset: Self.usernameKey(username), giveBack: Self.addressKey(address), window: perAddress.window)
    }
}
