import DouyinCrypto
import DouyinModels
import DouyinTestSupport
import Logging
import NIOConcurrencyHelpers
import Testing
@testable import AuthService

/// Registration, login and the throttle over in-memory tables and counters: no
/// PostgreSQL, Redis or user service. Passwords are hashed for real, at a low cost.
struct AccountTests {
    let tables = InMemoryAuthTables()
    let attempts = InMemoryAttempts()
    let profiles = NIOLockedValueBox<[UserID: String]>([:])
    let profileServiceDown = NIOLockedValueBox(false)
    let context: AuthContext

    struct ProfileServiceDown: Error {}

    init() async throws {
        let (profiles, down) = (self.profiles, profileServiceDown)
        context = AuthContext(
            credentials: tables, signingKeys: tables, attempts: attempts,
            profiles: .init(
                create: { id, name in
                    if down.withLockedValue({ $0 }) { throw ProfileServiceDown() }
                    profiles.withLockedValue { $0[id] = name }
                },
                delete: { id in profiles.withLockedValue { $0[id] = nil } }
            ),
            passwords: try PasswordWork(hasher: PasswordHasher(logN: 4), threads: 1),
            settings: AuthSettings(tokenTTL: .seconds(3_600), keyRotation: .seconds(86_400), kdfThreads: 1),
            logger: Logger(label: "test")
        )
        try await context.tokens.prepare()
    }

    /// The user id the token names, checked with the keys the service publishes.
    func subject(of token: String) async throws -> UserID {
        var keys: [String: Ed25519PublicKey] = [:]
        for key in try await context.tokens.publicKeys() {
            keys[key.kid] = try Ed25519PublicKey(rawRepresentation: try #require(Base64URL.decode(key.publicKey)))
        }
        return try TokenVerifier(keys: keys).verify(token).get().sub
    }

    @Test func registeringMakesAProfileAndATokenForTheNewUser() async throws {
        let answer = try await context.registration.register(username: "ann", password: "secret12")
        #expect(try await subject(of: answer.token) == answer.userID)
        #expect(profiles.withLockedValue { $0 } == [answer.userID: "ann"])
        #expect(await errorCode { _ = try await context.registration.register(username: "ann", password: "other123") } == .usernameTaken)
        #expect(await errorCode { _ = try await context.registration.register(username: "tab\t", password: "secret12") } == .invalidParameter)
    }

    @Test func aFailedProfileLeavesNoAccountBehind() async throws {
        profileServiceDown.withLockedValue { $0 = true }
        #expect(await errorCode { _ = try await context.registration.register(username: "bob", password: "secret12") } == .serviceUnavailable)
        #expect(tables.usernames.isEmpty && profiles.withLockedValue { $0.isEmpty })
        #expect(await errorCode { _ = try await context.login.login(username: "bob", password: "secret12", clientAddress: "a") } == .badCredentials)
        profileServiceDown.withLockedValue { $0 = false }
        _ = try await context.registration.register(username: "bob", password: "secret12")
    }

    @Test func loginAcceptsTheRightPasswordOnlyAndSaysNothingAboutUsernames() async throws {
        let registered = try await context.registration.register(username: "cy", password: "secret12")
        let answer = try await context.login.login(username: "cy", password: "secret12", clientAddress: "a")
        #expect(answer.userID == registered.userID)
        #expect(try await subject(of: answer.token) == registered.userID)
        #expect(await errorCode { _ = try await context.login.login(username: "cy", password: "secret13", clientAddress: "a") } == .badCredentials)
        #expect(await errorCode { _ = try await context.login.login(username: "nobody", password: "secret12", clientAddress: "a") } == .badCredentials)
    }

    @Test func tenFailuresThrottleAUsernameUntilItsWindowEnds() async throws {
        _ = try await context.registration.register(username: "dee", password: "secret12")
        for attempt in 1...10 {
            #expect(await errorCode { _ = try await context.login.login(username: "dee", password: "wrong-\(attempt)", clientAddress: "a\(attempt)") } == .badCredentials)
        }
        do {
            _ = try await context.login.login(username: "dee", password: "secret12", clientAddress: "z")
            Issue.record("the eleventh attempt was let through")
        } catch let error as DouyinError {
            #expect(error.code == .loginThrottled)
            #expect(error.retryAfter == 900, "the rest of the 15-minute window")
        }
        attempts.advance(by: .seconds(15 * 60))
        _ = try await context.login.login(username: "dee", password: "secret12", clientAddress: "z")
    }

    @Test func aRightPasswordForgetsTheUsernamesFailures() async throws {
        _ = try await context.registration.register(username: "eve", password: "secret12")
        for round in 0..<3 {
            for attempt in 1...9 {
                _ = await errorCode { _ = try await context.login.login(username: "eve", password: "wrong-\(round)-\(attempt)", clientAddress: "b") }
            }
            _ = try await context.login.login(username: "eve", password: "secret12", clientAddress: "b")
        }
    }

    @Test func oneAddressGuessingManyUsernamesIsThrottledToo() async throws {
        for attempt in 1...100 {
            _ = await errorCode { _ = try await context.login.login(username: "user\(attempt)", password: "guess", clientAddress: "203.0.113.9") }
        }
        #expect(await errorCode { _ = try await context.login.login(username: "user101", password: "guess", clientAddress: "203.0.113.9") } == .loginThrottled)
        #expect(await errorCode { _ = try await context.login.login(username: "user101", password: "guess", clientAddress: "203.0.113.10") } == .badCredentials)
    }

    @Test func withoutTheCountersLoginStillWorks() async throws {
        _ = try await context.registration.register(username: "fay", password: "secret12")
        attempts.unreachable.withLockedValue { $0 = true }
        _ = try await context.login.login(username: "fay", password: "secret12", clientAddress: "c")
    }
}
