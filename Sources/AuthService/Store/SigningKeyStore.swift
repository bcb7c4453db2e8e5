import DouyinCrypto
import DouyinModels
import DouyinPostgres

/// The token signing keys, shared by every auth instance through PostgreSQL.
public struct SigningKeyStore: Sendable {
    let db: PostgresClient

    public init(db: PostgresClient) {
        self.db = db
    }

    public struct StoredKey: Sendable {
        public var kid: String
        public var privateKey: Ed25519PrivateKey
        public var ageSeconds: Int64
    }

    /// Active keys, newest first.
    public func activeKeys() async throws -> [StoredKey] {
        try await db.query(
            """
            SELECT kid, private_key, extract(epoch FROM now() - created_at)::bigint
            FROM auth.signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC
            """
        ).rows.map { row in
            let (kid, seed, age) = try row.decode(String.self, PostgresBytes.self, Int64.self)
            return StoredKey(kid: kid, privateKey: try Ed25519PrivateKey(rawRepresentation: seed.bytes), ageSeconds: age)
        }
    }

    /// Public halves of keys that can still have valid tokens: active ones and
    /// those retired less than a token lifetime ago.
    public func verificationKeys(tokenTTLSeconds: Int64) async throws -> [AuthRPC.PublicKey] {
        try await db.query(
            """
            SELECT kid, public_key FROM auth.signing_keys
            WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => \(tokenTTLSeconds))
            """
        ).rows.map { row in
            let (kid, publicKey) = try row.decode(String.self, PostgresBytes.self)
            return AuthRPC.PublicKey(kid: kid, publicKey: Base64URL.encode(publicKey.bytes))
        }
    }

    public func insert(kid: String, key: Ed25519PrivateKey) async throws {
        try await db.query(
            """
            INSERT INTO auth.signing_keys (kid, private_key, public_key)
            VALUES (\(kid), \(PostgresBytes(key.rawRepresentation)), \(PostgresBytes(key.publicKey.rawRepresentation)))
            """
        )
    }

    /// Retires every active key but `kid`.
    public func retire(allBut kid: String) async throws {
        try await db.query("UPDATE auth.signing_keys SET retired_at = now() WHERE retired_at IS NULL AND kid <> \(kid)")
    }
}
