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

    let redis: RedisClient
    let perUsername: Limit
    let perAddress: Limit

    public init(
        redis: RedisClient,
        perUsername: Limit = Limit(failures: 10, window: .seconds(15 * 60)),
        perAddress: Limit = Limit(failures: 100, window: .seconds(60))
    ) {
        self.redis = redis
        self.perUsername = perUsername
        self.perAddress = perAddress
    }

    static func usernameKey(_ username: String) -> [UInt8] { Array("douyin:login-fail:user:".utf8) + Array(username.utf8) }
    static func addressKey(_ address: String) -> String { "douyin:login-fail:addr:\(address)" }

    /// Takes one attempt from the username's and the address's budgets before the
    /// password is checked; throws `loginThrottled` (with Retry-After) when either is spent.
    ///
    /// Counting first, in one atomic `INCR` per counter, is what bounds concurrent
    /// guesses: a check followed by a later increment lets a burst of wrong passwords
    /// all pass the check together.
    public func begin(username: String, address: String) async throws {
        let user = Self.usernameKey(username)
        let addr = Self.addressKey(address)
        guard
            let replies = try? await redis.pipeline([
                ["INCR", user], ["PEXPIRE", user, Self.milliseconds(perUsername.window), "NX"], ["PTTL", user],
                ["INCR", addr], ["PEXPIRE", addr, Self.milliseconds(perAddress.window), "NX"], ["PTTL", addr],
            ]),
            replies.count == 6
        else { return }
        for (count, ttl, limit) in [(replies[0], replies[2], perUsername), (replies[3], replies[5], perAddress)] {
            if let attempts = count.integer, attempts > limit.failures {
                let seconds = max(1, Int((ttl.integer ?? 1000) + 999) / 1000)
                throw DouyinError(.loginThrottled, retryAfter: seconds)
            }
        }
    }

    /// A right password: the username's failures are forgotten, and the attempt is given
    /// back to the address (its budget counts failures only).
    public func succeeded(username: String, address: String) async {
        let addr = Self.addressKey(address)
        _ = try? await redis.pipeline([
            ["DEL", Self.usernameKey(username)],
            ["DECR", addr], ["PEXPIRE", addr, Self.milliseconds(perAddress.window), "NX"],
        ])
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
