import DouyinCaching
import DouyinModels
import Hummingbird
import NIOConcurrencyHelpers

/// Token buckets per client address: each address may send `rate` requests a
/// second on average, with bursts up to `burst`. Beyond that: 429 with Retry-After.
public final class RateLimiter: Sendable {
    public let rate: Double
    public let burst: Double
    /// The least recently seen addresses are forgotten first: they would have a full bucket by now.
    private let buckets: NIOLockedValueBox<LRUCache<String, Bucket>>

    struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    /// - Parameter maxClients: addresses tracked at once.
    public init(rate: Double, burst: Double, maxClients: Int = CacheSizes().clients) {
        self.rate = rate
        self.burst = burst
        self.buckets = NIOLockedValueBox(LRUCache(capacity: maxClients, metrics: CacheMetrics(name: "rate_limit_clients")))
    }

    /// Takes one token for `client`; false when its bucket is empty.
    public func admit(_ client: String, now: ContinuousClock.Instant = .now) -> Bool {
        let (rate, burst) = (self.rate, self.burst)
        return buckets.withLockedValue { buckets in
            buckets.update(client, initial: { Bucket(tokens: burst, updated: now) }) { bucket in
                let elapsed = bucket.updated.duration(to: now)
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                bucket.tokens = min(burst, bucket.tokens + seconds * rate)
                bucket.updated = now
                let admitted = bucket.tokens >= 1
                if admitted { bucket.tokens -= 1 }
                return admitted
            }
        }
    }
}

/// Refuses work the process cannot take: too many requests in flight (503),
/// or too many from one client address (429). Both answer at once with the JSON
/// envelope instead of letting queues grow. One per process: every path that
/// serves requests enters through the same count.
public final class Admission: Sendable {
    let limiter: RateLimiter?
    let maxInFlight: Int
    private let inFlight = NIOLockedValueBox(0)

    public init(limiter: RateLimiter?, maxInFlight: Int) {
        self.limiter = limiter
        self.maxInFlight = maxInFlight
    }

    /// Takes a place for a request from `client`, or says why not; call `leave` when it is answered.
    public func enter(client: String?) -> DouyinError? {
        if let limiter, !limiter.admit(client ?? "unknown") {
            return DouyinError(.rateLimited, retryAfter: 1)
        }
        let admitted = inFlight.withLockedValue { count in
            guard count < maxInFlight else { return false }
            count += 1
            return true
        }
        return admitted ? nil : DouyinError(.serviceUnavailable, "overloaded, try again")
    }

    public func leave() {
        inFlight.withLockedValue { $0 -= 1 }
    }
}

/// `Admission` in front of a router.
public struct AdmissionMiddleware: RouterMiddleware {
    public typealias Context = DouyinRequestContext

    let admission: Admission

    public init(_ admission: Admission) {
        self.admission = admission
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let refusal = admission.enter(client: context.clientAddress) { return .error(refusal) }
        defer { admission.leave() }
        return try await next(request, context)
    }
}
