@testable import AuthService
import DouyinCrypto
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

    /// The same through `Login`, with real password hashes: of 50 concurrent wrong
    /// passwords at one account, no more than the limit are checked, the rest are throttled.
    @Test func concurrentWrongPasswordsAreCheckedNoMoreThanTheLimit() async throws {
        let db = try await TestServers.migratedDatabase(schema: "auth", folder: "auth")
        let redis = RedisClient(try TestServers.redisConfiguration())
        let passwords = try PasswordWork(threads: 2)
        let credentials = CredentialStore(db: db)
        let username = "target-\(UUID().uuidString.prefix(8))"
        let id = try #require(try await credentials.reserve(username: username, passwordHash: try await passwords.hash("right-password")))
        try await credentials.activate(id)
        let tokens = TokenIssuer(store: SigningKeyStore(db: db), ttl: .seconds(60), logger: .init(label: "test"))
        try await tokens.prepare()
        let login = Login(
            store: credentials, passwords: passwords, tokens: tokens,
            throttle: LoginThrottle(redis: redis, perUsername: .init(failures: 10, window: .seconds(60)))
        )
        let codes = await withTaskGroup(of: ErrorCode?.self) { group in
            for index in 0..<50 {
                group.addTask {
                    do {
                        _ = try await login.login(username: username, password: "wrong-\(index)", clientAddress: "192.0.2.\(index)")
                        return .ok
                    } catch let error as DouyinError {
                        return error.code
                    } catch {
                        return nil
                    }
                }
            }
            return await group.reduce(into: [ErrorCode?]()) { $0.append($1) }
        }
        #expect(codes.filter { $0 == .badCredentials }.count == 10)
        #expect(codes.filter { $0 == .loginThrottled }.count == 40)
        await passwords.shutdown()
        await redis.shutdown()
        await db.shutdown()
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
