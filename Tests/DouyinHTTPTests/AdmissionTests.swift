import DouyinHTTP
import Testing

@Suite struct RateLimiterTests {
    @Test func allowsBurstThenRate() {
        let limiter = RateLimiter(rate: 10, burst: 5)
        let start = ContinuousClock.now
        #expect((0..<5).allSatisfy { _ in limiter.admit("a", now: start) })
        #expect(!limiter.admit("a", now: start))
        // Another address has its own bucket.
        #expect(limiter.admit("b", now: start))
        // A tenth of a second refills one token at 10/s.
        #expect(limiter.admit("a", now: start + .milliseconds(100)))
        #expect(!limiter.admit("a", now: start + .milliseconds(100)))
        // Refills stop at the burst.
        #expect((0..<5).allSatisfy { _ in limiter.admit("a", now: start + .seconds(60)) })
        #expect(!limiter.admit("a", now: start + .seconds(60)))
    }
}
