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
        /// By PostgreSQL's clock, which every instance shares.
        public var ageMilliseconds: Int64
    }

    /// The newest key made within `window`, if any.
    public func newestKey(signingWithin window: Duration) async throws -> StoredKey? {
        try await db.query(
            """
            SELECT kid, private_key, (extract(epoch FROM now() - created_at) * 1000)::bigint
            FROM auth.signing_keys WHERE created_at > now() - make_interval(secs => \(Self.seconds(window)))
            ORDER BY created_at DESC, kid LIMIT 1
            """
        ).rows.first.map { row in
            let (kid, seed, age) = try row.decode(String.self, PostgresBytes.self, Int64.self)
            return StoredKey(kid: kid, privateKey: try Ed25519PrivateKey(rawRepresentation: seed.bytes), ageMilliseconds: age)
        }
    }

    /// Public halves of the keys made within `age`: those that can still have valid tokens.
    public func verificationKeys(youngerThan age: Duration) async throws -> [AuthRPC.PublicKey] {
        try await db.query(
            """
            SELECT kid, public_key FROM auth.signing_keys
            WHERE created_at > now() - make_interval(secs => \(Self.seconds(age)))
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

    /// Removes keys made before `age`.
    public func delete(olderThan age: Duration) async throws {
        try await db.query("DELETE FROM auth.signing_keys WHERE created_at < now() - make_interval(secs => \(Self.seconds(age)))")
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
