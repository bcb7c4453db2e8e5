import AuthService
import DouyinModels
import DouyinRedis
import DouyinTestSupport
import Foundation
import Testing

/// Failed-login throttling against a real Redis.
@Suite(.enabled(if: TestServers.enabled, TestServers.skipReason))
struct LoginThrottleTests {
    /// 50 wrong passwords at once at one account: no more than the limit reach the password check.
    @Test func concurrentGuessesCannotPassTheLimitTogether() async throws {
        let redis = RedisClient(try TestServers.redisConfiguration())
        let throttle = LoginThrottle(redis: redis, perUsername: .init(failures: 10, window: .seconds(60)))
        let username = "victim-\(UUID().uuidString)"
        let admitted = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<50 {
                group.addTask { (try? await throttle.begin(username: username, address: "198.51.100.\(index)")) != nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(admitted == 10)
        await #expect(throws: DouyinError.self) { try await throttle.begin(username: username, address: "198.51.100.200") }
        await redis.shutdown()
    }

    /// A right password forgets the username's failures and gives the address its attempt back.
    @Test func successResetsTheUsernameAndRefundsTheAddress() async throws {
        let redis = RedisClient(try TestServers.redisConfiguration())
        let throttle = LoginThrottle(
            redis: redis, perUsername: .init(failures: 3, window: .seconds(60)), perAddress: .init(failures: 3, window: .seconds(60))
        )
        let username = "regular-\(UUID().uuidString)"
        let address = "203.0.113.\(Int.random(in: 1...250))-\(UUID().uuidString.prefix(8))"
        for _ in 0..<2 { try await throttle.begin(username: username, address: address) }
        try await throttle.begin(username: username, address: address)
        await throttle.succeeded(username: username, address: address)
        // The username starts over; the address has spent two of its three.
        try await throttle.begin(username: username, address: address)
        await #expect(throws: DouyinError.self) { try await throttle.begin(username: "other-\(username)", address: address) }
        await redis.shutdown()
    }
}
