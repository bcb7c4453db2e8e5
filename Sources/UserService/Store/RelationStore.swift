import DouyinModels
import DouyinPostgres

/// Every SQL statement about follows.
///
/// Counters change in the same transaction as the row they count, and only when
/// a row was really inserted or deleted, so repeats and races count once.
public struct RelationStore: Sendable {
    let db: PostgresClient

    public init(db: PostgresClient) {
        self.db = db
    }

    /// A user id and the position of the relation that put it in a list.
    public typealias Entry = (id: UserID, position: Int64)

    public func follow(_ follower: UserID, _ followee: UserID) async throws {
        try await db.transaction { connection in
            let inserted = try connection.query(
                """
                INSERT INTO users.follows (follower_id, followee_id) VALUES (\(follower), \(followee))
                ON CONFLICT DO NOTHING
                """
            ).affectedRows
            if inserted == 1 { try Self.adjustCounters(connection, follower: follower, followee: followee, by: 1) }
        }
    }

    public func unfollow(_ follower: UserID, _ followee: UserID) async throws {
        try await db.transaction { connection in
            let deleted = try connection.query(
                "DELETE FROM users.follows WHERE follower_id = \(follower) AND followee_id = \(followee)"
            ).affectedRows
            if deleted == 1 { try Self.adjustCounters(connection, follower: follower, followee: followee, by: -1) }
        }
    }

    /// One statement for both rows: rows lock in index order, so two users
    /// following each other at once cannot deadlock.
    private static func adjustCounters(_ connection: PostgresConnection, follower: UserID, followee: UserID, by delta: Int64) throws {
        try connection.query(
            """
            UPDATE users.profiles SET
                follow_count = follow_count + CASE WHEN id = \(follower) THEN \(delta) ELSE 0 END,
                follower_count = follower_count + CASE WHEN id = \(followee) THEN \(delta) ELSE 0 END
            WHERE id = ANY(\([follower, followee]))
            """
        )
    }

    /// Users `user` follows, most recent first.
    public func following(_ user: UserID, before: Int64?, limit: Int) async throws -> [Entry] {
        try await entries(
            """
            SELECT followee_id, seq FROM users.follows
            WHERE follower_id = \(user) AND seq < \(before ?? .max)
            ORDER BY seq DESC LIMIT \(limit)
            """
        )
    }

    /// Users following `user`, most recent first.
    public func followers(_ user: UserID, before: Int64?, limit: Int) async throws -> [Entry] {
        try await entries(
            """
            SELECT follower_id, seq FROM users.follows
            WHERE followee_id = \(user) AND seq < \(before ?? .max)
            ORDER BY seq DESC LIMIT \(limit)
            """
        )
    }

    /// Mutual follows of `user`, by the later of the two follows, most recent first.
    public func friends(_ user: UserID, before: Int64?, limit: Int) async throws -> [Entry] {
        try await entries(
            """
            SELECT mine.followee_id, GREATEST(mine.seq, theirs.seq) AS position
            FROM users.follows mine
            JOIN users.follows theirs ON theirs.follower_id = mine.followee_id AND theirs.followee_id = mine.follower_id
            WHERE mine.follower_id = \(user) AND GREATEST(mine.seq, theirs.seq) < \(before ?? .max)
            ORDER BY position DESC LIMIT \(limit)
            """
        )
    }

    private func entries(_ query: PostgresQuery) async throws -> [Entry] {
        try await db.query(query).rows.map { row in
            let (id, position) = try row.decode(Int64.self, Int64.self)
            return (id, position)
        }
    }
}
