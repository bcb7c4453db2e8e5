import DouyinCrypto
import Foundation
import Testing

@Suite struct TokenTests {
    let key: Ed25519PrivateKey
    let signer: TokenSigner
    let verifier: TokenVerifier

    init() throws {
        key = try Ed25519PrivateKey()
        signer = TokenSigner(kid: "k1", key: key)
        verifier = TokenVerifier(keys: ["k1": key.publicKey])
    }

    @Test func issuedTokenVerifies() throws {
        let token = try signer.issue(subject: 42, ttl: .seconds(60))
        let claims = try verifier.verify(token).get()
        #expect(claims.sub == 42)
        #expect(claims.exp - claims.iat == 60)
        #expect(token.allSatisfy { $0.isASCII && !$0.isWhitespace })
    }

    /// API.md 3: any one-character change anywhere must be refused, including the
    /// last base64url symbol whose low bits are padding.
    @Test func everySingleCharacterChangeIsRefused() throws {
        let token = Array(try signer.issue(subject: 7, ttl: .seconds(60)))
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
        for index in token.indices {
            for replacement in alphabet where replacement != token[index] {
                var changed = token
                changed[index] = replacement
                guard case .failure = verifier.verify(String(changed)) else {
                    Issue.record("accepted a token changed at \(index) to \(replacement)")
                    return
                }
            }
        }
    }

    @Test func appendedRemovedOrSplicedTokensAreRefused() throws {
        let a = try signer.issue(subject: 1, ttl: .seconds(60))
        let b = try signer.issue(subject: 2, ttl: .seconds(60))
        let pa = a.split(separator: ".").map(String.init)
        let pb = b.split(separator: ".").map(String.init)
        for candidate in [a + "A", a + "=", String(a.dropLast()), String(a.dropFirst()), " " + a,
                          "\(pa[0]).\(pb[1]).\(pa[2])", "\(pa[0]).\(pa[1]).\(pb[2])", "", ".", "a.b.c"] {
            #expect(throws: TokenFailure.self, "\(candidate)") { try verifier.verify(candidate).get() }
        }
    }

    @Test func expiredTokenIsRefused() throws {
        let token = try signer.issue(subject: 9, now: Date(timeIntervalSinceNow: -120), ttl: .seconds(60))
        #expect(verifier.verify(token) == .failure(.expired))
    }

    @Test func tokenFromAnotherKeyIsRefused() throws {
        let stranger = TokenSigner(kid: "k1", key: try Ed25519PrivateKey())
        #expect(verifier.verify(try stranger.issue(subject: 1, ttl: .seconds(60))) == .failure(.badSignature))
        let unknown = TokenSigner(kid: "k2", key: try Ed25519PrivateKey())
        #expect(verifier.verify(try unknown.issue(subject: 1, ttl: .seconds(60))) == .failure(.unknownKey(kid: "k2")))
    }

    @Test func ed25519MatchesRFC8032TestVector1() throws {
        // RFC 8032 section 7.1, test 1 (empty message).
        let seed = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
        let key = try Ed25519PrivateKey(rawRepresentation: seed)
        #expect(key.publicKey.rawRepresentation == hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
        let signature = try key.signature(for: [UInt8]())
        #expect(signature == hex(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        ))
        #expect(key.publicKey.isValidSignature(signature, for: [UInt8]()))
        #expect(!key.publicKey.isValidSignature(signature, for: [0]))
    }

    func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }
}

@Suite struct Base64URLTests {
    @Test(arguments: 0..<40)
    func roundTrips(length: Int) throws {
        let bytes = try SecureRandom.bytes(length)
        #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
    }

    @Test func refusesNonCanonicalSpellings() {
        #expect(Base64URL.encode([0xFF]) == "_w")
        #expect(Base64URL.decode("_w") == [0xFF])
        #expect(Base64URL.decode("_x") == nil)  // same byte, padding bits set
        #expect(Base64URL.decode("_w==") == nil)
        #expect(Base64URL.decode("a") == nil)
        #expect(Base64URL.decode("ab+/") == nil)
    }
}
