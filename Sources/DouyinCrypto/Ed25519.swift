import COpenSSL

/// An Ed25519 signing key (RFC 8032) held by OpenSSL.
public struct Ed25519PrivateKey: Sendable {
    /// The 32-byte seed; the whole secret.
    public let rawRepresentation: [UInt8]
    public let publicKey: Ed25519PublicKey

    public init() throws {
        try self.init(rawRepresentation: SecureRandom.bytes(32))
    }

    public init(rawRepresentation seed: [UInt8]) throws {
        guard seed.count == 32 else { throw CryptoError.invalidKey }
        let key = try EVPKey(privateSeed: seed)
        var publicBytes = [UInt8](repeating: 0, count: 32)
        var length = 32
        guard EVP_PKEY_get_raw_public_key(key.pointer, &publicBytes, &length) == 1, length == 32 else {
            throw CryptoError.openSSL(lastOpenSSLError())
        }
        self.rawRepresentation = seed
        self.publicKey = try Ed25519PublicKey(rawRepresentation: publicBytes)
    }

    public func signature(for message: some Collection<UInt8>) throws -> [UInt8] {
        let key = try EVPKey(privateSeed: rawRepresentation)
        let context = EVP_MD_CTX_new()
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, nil, nil, key.pointer) == 1 else {
            throw CryptoError.openSSL(lastOpenSSLError())
        }
        let bytes = Array(message)
        var signature = [UInt8](repeating: 0, count: 64)
        var length = 64
        guard EVP_DigestSign(context, &signature, &length, bytes, bytes.count) == 1, length == 64 else {
            throw CryptoError.openSSL(lastOpenSSLError())
        }
        return signature
    }
}

public struct Ed25519PublicKey: Sendable, Equatable {
    public let rawRepresentation: [UInt8]

    public init(rawRepresentation: [UInt8]) throws {
        guard rawRepresentation.count == 32 else { throw CryptoError.invalidKey }
        self.rawRepresentation = rawRepresentation
    }

    public func isValidSignature(_ signature: [UInt8], for message: some Collection<UInt8>) -> Bool {
        guard signature.count == 64, let key = try? EVPKey(publicKey: rawRepresentation) else { return false }
        let context = EVP_MD_CTX_new()
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, nil, nil, key.pointer) == 1 else { return false }
        let bytes = Array(message)
        return EVP_DigestVerify(context, signature, signature.count, bytes, bytes.count) == 1
    }
}

/// Owns an `EVP_PKEY` for the duration of one operation.
private final class EVPKey {
    let pointer: OpaquePointer

    init(privateSeed: [UInt8]) throws {
        guard let pointer = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, privateSeed, privateSeed.count) else {
            throw CryptoError.openSSL(lastOpenSSLError())
        }
        self.pointer = pointer
    }

    init(publicKey: [UInt8]) throws {
        guard let pointer = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, publicKey, publicKey.count) else {
            throw CryptoError.openSSL(lastOpenSSLError())
        }
        self.pointer = pointer
    }

    deinit { EVP_PKEY_free(pointer) }
}
