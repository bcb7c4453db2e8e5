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

    /// Tokens already verified, so a busy client costs one signature check, not one per request.
    /// Only exact strings are cached, and expiry is checked on every hit.
    private let verified = NIOLockedValueBox<[String: TokenClaims]>([:])
    private static let maxCachedTokens = 50_000

    private struct State {
        var verifier = TokenVerifier(keys: [:])
        var lastFetch: ContinuousClock.Instant?
        var inFlight: Task<TokenVerifier, any Error>?
    }

    public init(logger: Logger, fetch: @escaping Fetch) {
        self.fetch = fetch
        self.logger = logger
    }

    /// The user id of a valid token, or the reason it is refused.
    public func verify(_ token: String) async -> Result<UserID, DouyinError> {
        if let claims = verified.withLockedValue({ $0[token] }) {
            return Int64(Date().timeIntervalSince1970) < claims.exp ? .success(claims.sub) : .failure(DouyinError(.tokenExpired))
        }
        switch await claims(of: token) {
        case .success(let claims):
            verified.withLockedValue { cache in
                if cache.count >= Self.maxCachedTokens { cache.removeAll(keepingCapacity: true) }
                cache[token] = claims
            }
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
        let task: Task<TokenVerifier, any Error> = state.withLockedValue { s in
            if let running = s.inFlight { return running }
            let wait = s.lastFetch.map { .seconds(1) - $0.duration(to: .now) } ?? .zero
            let fetch = self.fetch
            let task = Task { () throws -> TokenVerifier in
                if wait > .zero { try await Task.sleep(for: wait) }
                var keys: [String: Ed25519PublicKey] = [:]
                for key in try await fetch() {
                    if let raw = Base64URL.decode(key.publicKey), let publicKey = try? Ed25519PublicKey(rawRepresentation: raw) {
                        keys[key.kid] = publicKey
                    }
                }
                return TokenVerifier(keys: keys)
            }
            s.inFlight = task
            return task
        }
        do {
            let verifier = try await task.value
            state.withLockedValue { s in
                s.verifier = verifier
                s.lastFetch = .now
                s.inFlight = nil
            }
            return verifier
        } catch {
            state.withLockedValue { s in
                s.inFlight = nil
                s.lastFetch = .now
            }
            throw error
        }
    }
}
