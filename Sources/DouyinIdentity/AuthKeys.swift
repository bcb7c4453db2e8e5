import DouyinCaching
import DouyinCrypto
import DouyinModels
import Foundation
import Logging
import NIOConcurrencyHelpers

/// The auth service's public keys, cached for local token verification.
///
/// No call per request: keys are fetched once and again only when a token names
/// a key this cache has not seen (a rotation), at most once per second, with
/// concurrent verifiers sharing one fetch. A token with an unknown key waits for
/// the next fetch; one naming no key of the auth service is then refused.
public final class AuthKeys: Sendable {
    public typealias Fetch = @Sendable () async throws -> [AuthRPC.PublicKey]

    private let fetch: Fetch
    private let logger: Logger
    private let state = NIOLockedValueBox(State())
    private let fetches = SingleFlight<Bool, TokenVerifier>()

    /// Tokens already verified, so a busy client costs one signature check, not one per request.
    /// Only exact strings are cached, and expiry is checked on every hit.
    private let verified: NIOLockedValueBox<LRUCache<String, TokenClaims>>

    private struct State {
        var verifier = TokenVerifier(keys: [:])
        var lastFetch: ContinuousClock.Instant?
    }

    /// - Parameter maxTokens: verified tokens remembered, the least recently used forgotten first.
    public init(logger: Logger, maxTokens: Int = CacheSizes().tokens, fetch: @escaping Fetch) {
        self.fetch = fetch
        self.logger = logger
        self.verified = NIOLockedValueBox(LRUCache(capacity: maxTokens, metrics: CacheMetrics(name: "tokens")))
    }

    /// The user id of a valid token, or the reason it is refused.
    public func verify(_ token: String) async -> Result<UserID, DouyinError> {
        if let claims = verified.withLockedValue({ $0[token] }) {
            return Int64(Date().timeIntervalSince1970) < claims.exp ? .success(claims.sub) : .failure(DouyinError(.tokenExpired))
        }
        switch await claims(of: token) {
        case .success(let claims):
            verified.withLockedValue { $0[token] = claims }
            return .success(claims.sub)
        case .failure(let error):
            return .failure(error)
        }
    }

    private func claims(of token: String) async -> Result<TokenClaims, DouyinError> {
        let verifier = state.withLockedValue { $0.verifier }
        switch verifier.verify(token) {
        case .success(let claims): return .success(claims)
        case .failure(.unknownKey):
            do {
                let refreshed = try await refresh()
                if case .success(let claims) = refreshed.verify(token) { return .success(claims) }
                if case .failure(.expired) = refreshed.verify(token) { return .failure(DouyinError(.tokenExpired)) }
                return .failure(DouyinError(.tokenInvalid))
            } catch {
                logger.warning("cannot fetch auth public keys", metadata: ["error": "\(error)"])
                return .failure(DouyinError(.serviceUnavailable, "cannot verify token now"))
            }
        case .failure(.expired): return .failure(DouyinError(.tokenExpired))
        case .failure: return .failure(DouyinError(.tokenInvalid))
        }
    }

    /// Fetches keys, no sooner than a second after the last fetch: a token signed with a
    /// key made just after that fetch waits for the next one rather than being refused.
    private func refresh() async throws -> TokenVerifier {
        try await fetches.run(true) { [state, fetch] in
            if let last = state.withLockedValue({ $0.lastFetch }), case let wait = .seconds(1) - last.duration(to: .now), wait > .zero {
                try await Task.sleep(for: wait)
            }
            defer { state.withLockedValue { $0.lastFetch = .now } }
            var keys: [String: Ed25519PublicKey] = [:]
            for key in try await fetch() {
                if let raw = Base64URL.decode(key.publicKey), let publicKey = try? Ed25519PublicKey(rawRepresentation: raw) {
                    keys[key.kid] = publicKey
                }
            }
            let verifier = TokenVerifier(keys: keys)
            state.withLockedValue { $0.verifier = verifier }
            return verifier
        }
    }
}
