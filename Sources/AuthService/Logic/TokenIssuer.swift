import DouyinCrypto
import DouyinModels
import Foundation
import Logging
import NIOConcurrencyHelpers

/// Signs tokens with the newest signing key, creating and rotating keys as they age.
public final class TokenIssuer: Sendable {
    let store: SigningKeyStore
    let ttl: Duration
    let rotationAge: Duration
    private let signer = NIOLockedValueBox<TokenSigner?>(nil)

    public init(store: SigningKeyStore, ttl: Duration, rotationAge: Duration = .seconds(30 * 86_400)) {
        self.store = store
        self.ttl = ttl
        self.rotationAge = rotationAge
    }

    /// Loads the newest key, making a new one when there is none or it is older than `rotationAge`.
    /// Older keys are retired but still verify until their tokens have expired.
    public func prepare(logger: Logger) async throws {
        var keys = try await store.activeKeys()
        if keys.first.map({ $0.ageSeconds >= rotationAge.components.seconds }) ?? true {
            let kid = Base64URL.encode(try SecureRandom.bytes(9))
            try await store.insert(kid: kid, key: try Ed25519PrivateKey())
            try await store.retire(allBut: kid)
            logger.info("created token signing key", metadata: ["kid": "\(kid)"])
            keys = try await store.activeKeys()
        }
        guard let newest = keys.first else { throw DouyinError(.internalError, "no signing key") }
        signer.withLockedValue { $0 = TokenSigner(kid: newest.kid, key: newest.privateKey) }
    }

    public func issue(for user: UserID) throws -> String {
        guard let signer = signer.withLockedValue({ $0 }) else { throw DouyinError(.serviceUnavailable, "signing key not loaded") }
        return try signer.issue(subject: user, ttl: ttl)
    }

    public func publicKeys() async throws -> [AuthRPC.PublicKey] {
        try await store.verificationKeys(tokenTTLSeconds: ttl.components.seconds)
    }
}
