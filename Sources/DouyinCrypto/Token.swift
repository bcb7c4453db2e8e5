import Foundation

/// What a token says: who (`sub`), issued and expiring when (Unix seconds).
public struct TokenClaims: Codable, Sendable, Equatable {
    public var sub: Int64
    public var iat: Int64
    public var exp: Int64

    public init(sub: Int64, iat: Int64, exp: Int64) {
        self.sub = sub
        self.iat = iat
        self.exp = exp
    }
}

private struct TokenHeader: Codable, Equatable {
    var alg = "EdDSA"
    var typ = "JWT"
    var kid: String
}

/// Issues compact JWS tokens (`header.claims.signature`, base64url) signed with Ed25519.
public struct TokenSigner: Sendable {
    public let kid: String
    private let key: Ed25519PrivateKey

    public init(kid: String, key: Ed25519PrivateKey) {
        self.kid = kid
        self.key = key
    }

    public func issue(subject: Int64, now: Date = Date(), ttl: Duration) throws -> String {
        let issuedAt = Int64(now.timeIntervalSince1970)
        let claims = TokenClaims(sub: subject, iat: issuedAt, exp: issuedAt + ttl.components.seconds)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let signingInput = Base64URL.encode(try encoder.encode(TokenHeader(kid: kid))) + "."
            + Base64URL.encode(try encoder.encode(claims))
        return signingInput + "." + Base64URL.encode(try key.signature(for: Array(signingInput.utf8)))
    }
}

public enum TokenFailure: Error, Sendable, Equatable {
    case malformed
    /// Signed by a key this verifier does not know (yet): refresh keys and retry once.
    case unknownKey(kid: String)
    case badSignature
    case expired
}

/// Checks tokens against a set of public keys.
///
/// A token is accepted only as the exact string that was issued: each part must
/// be canonical base64url (so no two spellings decode alike), and the signature
/// covers the encoded header and claims byte for byte (API.md section 3).
public struct TokenVerifier: Sendable {
    public var keys: [String: Ed25519PublicKey]

    public init(keys: [String: Ed25519PublicKey]) {
        self.keys = keys
    }

    public func verify(_ token: String, now: Date = Date()) -> Result<TokenClaims, TokenFailure> {
        let parts = token.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, token.utf8.count <= 4096,
            let headerBytes = Base64URL.decode(Substring(parts[0])),
            let claimBytes = Base64URL.decode(Substring(parts[1])),
            let signature = Base64URL.decode(Substring(parts[2])), signature.count == 64,
            let header = try? JSONDecoder().decode(TokenHeader.self, from: Data(headerBytes)),
            header.alg == "EdDSA"
        else { return .failure(.malformed) }
        guard let key = keys[header.kid] else { return .failure(.unknownKey(kid: header.kid)) }
        let signingInput = token.utf8[parts[0].startIndex..<parts[1].endIndex]
        guard key.isValidSignature(signature, for: signingInput) else { return .failure(.badSignature) }
        guard let claims = try? JSONDecoder().decode(TokenClaims.self, from: Data(claimBytes)), claims.sub > 0 else {
            return .failure(.malformed)
        }
        guard Int64(now.timeIntervalSince1970) < claims.exp else { return .failure(.expired) }
        return .success(claims)
    }
}
