import DouyinModels
import DouyinPostgres

/// Every SQL statement about credentials.
public struct CredentialStore: Sendable {
    let db: PostgresClient

    public init(db: PostgresClient) {
        self.db = db
    }

    /// Reserves `username` for a new user id, or returns nil when it is taken.
    ///
    /// The unique index decides between concurrent registrations. A pending row
    /// old enough to be an abandoned attempt is cleared first, in the same transaction.
    public func reserve(username: String, passwordHash: String) async throws -> UserID? {
        try await db.transaction { connection in
            try connection.query(
                """
                DELETE FROM auth.credentials
                WHERE username = \(username) AND state = 'pending' AND created_at < now() - interval '1 minute'
                """
            )
            return try connection.query(
                """
                INSERT INTO auth.credentials (username, password_hash) VALUES (\(username), \(passwordHash))
                ON CONFLICT (username) DO NOTHING
                RETURNING user_id
                """
            ).first?.column(0, as: Int64.self)
        }
    }

    public func activate(_ id: UserID) async throws {
        try await db.query("UPDATE auth.credentials SET state = 'active' WHERE user_id = \(id)")
    }

    public func release(_ id: UserID) async throws {
        try await db.query("DELETE FROM auth.credentials WHERE user_id = \(id) AND state = 'pending'")
    }

    /// The id and password hash of an active account.
    public func activeCredential(username: String) async throws -> (id: UserID, passwordHash: String)? {
        guard
            let row = try await db.query(
                "SELECT user_id, password_hash FROM auth.credentials WHERE username = \(username) AND state = 'active'"
            ).first
        else { return nil }
        let (id, hash) = try row.decode(Int64.self, String.self)
        return (id, hash)
    }
}
