import DouyinCrypto
import DouyinModels
import HTTPTypes

/// Decides who the requester is from the gateway's headers or the token itself.
///
/// The gateway vouches for a user id with a shared secret; a request without
/// that proof (or a service run without a secret) has its token verified here
/// with the same keys the gateway uses, so a service is never less strict than
/// the edge.
public struct IdentityResolver: Sendable {
    let keys: AuthKeys?
    /// The shared secret's bytes; nil when none is configured.
    let internalSecret: [UInt8]?

    public init(keys: AuthKeys?, internalSecret: String?) {
        self.keys = keys
        self.internalSecret = internalSecret.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
    }

    public func resolve(headers: HTTPFields, tokenParameter: String?) async -> Identity {
        if let secret = internalSecret,
            let proof = headers.value(of: .douyinSecret), constantTimeEquals(Array(proof.utf8), secret),
            let vouched = headers.value(of: .douyinUserID), let id = Int64(vouched), id > 0
        {
            return .user(id)
        }
        guard let token = tokenParameter ?? Self.bearerToken(headers.value(of: .authorization)) else { return .anonymous }
        guard let keys else { return .rejected(DouyinError(.tokenInvalid)) }
        switch await keys.verify(token) {
        case .success(let id): return .user(id)
        case .failure(let error): return .rejected(error)
        }
    }

    /// The token of `Authorization: Bearer <token>` (scheme case-insensitive, one
    /// space, no other words); anything else counts as no token (API.md 3).
    public static func bearerToken(_ value: String?) -> String? {
        guard let value, value.utf8.count > 7 else { return nil }
        let scheme = value.prefix(6)
        let rest = value.dropFirst(6)
        guard scheme.lowercased() == "bearer", rest.first == " " else { return nil }
        let token = rest.dropFirst()
        guard !token.isEmpty, !token.contains(where: { $0 == " " || $0 == "\t" }) else { return nil }
        return String(token)
    }
}
