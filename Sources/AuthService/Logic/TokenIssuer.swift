import DouyinCrypto
import DouyinModels
import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Signs tokens with the fleet's current signing key; keys rotate by age alone.
///
/// Every auth instance follows one rule, read from PostgreSQL: a key signs for
/// `rotation` after it was made (and up to `grace` longer, for an instance that
/// has not reloaded yet), and verifies until the last token it may have signed
/// has expired. Instances reload every `refresh` and sign with the newest key
/// still in its window; the first to find none makes the next one. Nothing is
/// retired by one instance for the others, so no instance can invalidate the key
/// another one still signs with.
public final class TokenIssuer: Service, Sendable {
    let store: any SigningKeyStoring
    let ttl: Duration
    let rotation: Duration
    /// How often the key is reloaded: a quarter of the rotation, at least 1 s, at most a minute.
    let refresh: Duration
    /// How long past its window a loaded key may still sign: two reloads.
    var grace: Duration { refresh * 2 }
    private let logger: Logger
    private let signer = NIOLockedValueBox<CurrentSigner?>(nil)

    private struct CurrentSigner {
        var signer: TokenSigner
        var usableUntil: ContinuousClock.Instant
    }

    public init(store: any SigningKeyStoring, ttl: Duration, rotation: Duration = .seconds(30 * 86_400), logger: Logger) {
        self.store = store
        self.ttl = ttl
        self.rotation = rotation
        self.refresh = min(max(rotation / 4, .seconds(1)), .seconds(60))
        self.logger = logger
    }

    /// Loads the current key, making one when no key is in its signing window.
    public func prepare() async throws {
        var newest = try await store.newestKey(signingWithin: rotation)
        if newest == nil {
            let kid = Base64URL.encode(try SecureRandom.bytes(9))
            try await store.insert(kid: kid, key: try Ed25519PrivateKey())
            logger.info("created token signing key", metadata: ["kid": "\(kid)"])
            // Keys no token can name any more.
            try await store.delete(olderThan: verificationAge + .seconds(86_400))
            newest = try await store.newestKey(signingWithin: rotation)
        }
        guard let newest else { throw DouyinError(.internalError, "no signing key") }
        let usableUntil = ContinuousClock.now + rotation + grace - .milliseconds(newest.ageMilliseconds)
        signer.withLockedValue { $0 = CurrentSigner(signer: TokenSigner(kid: newest.kid, key: newest.privateKey), usableUntil: usableUntil) }
    }

    /// Reloads the key every `refresh` until shutdown; a failed reload keeps the key
    /// while it is usable and tries again at the next turn.
    public func run() async throws {
        await cancelWhenGracefulShutdown { [self] in
            while true {
                do {
                    try await Task.sleep(for: refresh)
                } catch {
                    return
                }
                do {
                    try await prepare()
                } catch {
                    logger.warning("token signing key not reloaded", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    public func issue(for user: UserID) throws -> String {
        guard let current = signer.withLockedValue({ $0 }) else { throw DouyinError(.serviceUnavailable, "signing key not loaded") }
        // Signed any later, the token could outlive the key's verification window.
        guard ContinuousClock.now < current.usableUntil else { throw DouyinError(.serviceUnavailable, "signing key expired") }
        return try current.signer.issue(subject: user, ttl: ttl)
    }

    /// How old a key may be and still verify: its signing window, the grace, and a token's lifetime.
    var verificationAge: Duration { rotation + grace + ttl }

    public func publicKeys() async throws -> [AuthRPC.PublicKey] {
        try await store.verificationKeys(youngerThan: verificationAge)
    }
}
