import COpenSSL

/// scrypt password hashing with a per-password salt and self-describing output:
/// `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (base64url). Parameters travel with the
/// hash, so they can be raised later without invalidating stored passwords.
///
/// Hashing is deliberately slow (tens of milliseconds) and memory-hard: callers
/// run it on a bounded thread pool, never on an event loop.
public struct PasswordHasher: Sendable {
    /// log2 of the CPU/memory cost N.
    public var logN: Int
    public var blockSize: Int
    public var parallelism: Int

    public init(logN: Int = 15, blockSize: Int = 8, parallelism: Int = 1) {
        self.logN = logN
        self.blockSize = blockSize
        self.parallelism = parallelism
    }

    public func hash(_ password: String) throws -> String {
        let salt = try SecureRandom.bytes(16)
        let key = try Self.derive(Array(password.utf8), salt: salt, logN: logN, r: blockSize, p: parallelism)
        return "$scrypt$ln=\(logN),r=\(blockSize),p=\(parallelism)$\(Base64URL.encode(salt))$\(Base64URL.encode(key))"
    }

    /// True when `password` produces `encoded`; the comparison takes constant time.
    public func verify(_ password: String, against encoded: String) throws -> Bool {
        let fields = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0].isEmpty, fields[1] == "scrypt",
            let salt = Base64URL.decode(fields[3]), let expected = Base64URL.decode(fields[4]), expected.count == 32
        else { throw CryptoError.malformedHash }
        var parameters: [Substring: Int] = [:]
        for pair in fields[2].split(separator: ",") {
            let kv = pair.split(separator: "=")
            guard kv.count == 2, let value = Int(kv[1]) else { throw CryptoError.malformedHash }
            parameters[kv[0]] = value
        }
        guard let logN = parameters["ln"], let r = parameters["r"], let p = parameters["p"],
            (1...20).contains(logN), (1...32).contains(r), (1...16).contains(p)
        else { throw CryptoError.malformedHash }
        let key = try Self.derive(Array(password.utf8), salt: salt, logN: logN, r: r, p: p)
        return constantTimeEquals(key, expected)
    }

    private static func derive(_ password: [UInt8], salt: [UInt8], logN: Int, r: Int, p: Int) throws -> [UInt8] {
        var key = [UInt8](repeating: 0, count: 32)
        // 128 * N * r bytes of work memory, with headroom.
        let maxMemory = UInt64(256) * (UInt64(1) << UInt64(logN)) * UInt64(r) + 1 << 20
        // A trailing zero keeps the buffer non-empty; only `password.count` bytes are read.
        let passChars = password.map { CChar(bitPattern: $0) } + [0]
        let status = EVP_PBE_scrypt(
            passChars, password.count, salt, salt.count,
            UInt64(1) << UInt64(logN), UInt64(r), UInt64(p), maxMemory, &key, key.count
        )
        guard status == 1 else { throw CryptoError.openSSL(lastOpenSSLError()) }
        return key
    }
}
