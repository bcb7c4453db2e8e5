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

    public typealias Entry = RelationEntry

    public func follow(_ follower: UserID, _ followee: UserID) async throws {
        try await setFollow(true, follower, followee)
    }

    public func unfollow(_ follower: UserID, _ followee: UserID) async throws {
        try await setFollow(false, follower, followee)
    }

    /// One statement, so one round trip: the follow row changes (or not: a repeat
    /// changes nothing), and only if it did, both users' counts move. Rows lock in
    /// index order, so two users following each other at once cannot deadlock.
    private func setFollow(_ follows: Bool, _ follower: UserID, _ followee: UserID) async throws {
        // $1 the follower, $2 the followee, $3 the change of the counts; the SQL text is constant.
        let change = follows
            ? "INSERT INTO users.follows (follower_id, followee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1"
            : "DELETE FROM users.follows WHERE follower_id = $1 AND followee_id = $2 RETURNING 1"
        try await db.write(PostgresQuery(
            unsafeSQL: """
                WITH changed AS (\(change))
                UPDATE users.profiles SET
                    follow_count = follow_count + CASE WHEN id = $1 THEN $3::bigint ELSE 0 END,
                    follower_count = follower_count + CASE WHEN id = $2 THEN $3::bigint ELSE 0 END
                WHERE id IN ($1, $2) AND EXISTS (SELECT 1 FROM changed)
                """,
            parameters: [follower.postgresText, followee.postgresText, (follows ? 1 : -1 as Int64).postgresText]
        ))
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

    /// Which of `ids` `follower` follows.
    public func followed(by follower: UserID, among ids: [UserID]) async throws -> Set<UserID> {
        guard !ids.isEmpty else { return [] }
        return Set(try await db.query(
            "SELECT followee_id FROM users.follows WHERE follower_id = \(follower) AND followee_id = ANY(\(ids))"
        ).rows.map { try $0.column(0, as: Int64.self) })
    }

    /// Everyone `follower` follows, if that is at most `limit` users; nil when more.
    public func followees(of follower: UserID, upTo limit: Int) async throws -> Set<UserID>? {
        let ids = try await db.query(
            "SELECT followee_id FROM users.follows WHERE follower_id = \(follower) LIMIT \(limit + 1)"
        ).rows.map { try $0.column(0, as: Int64.self) }
        return ids.count <= limit ? Set(ids) : nil
    }

    private func entries(_ query: PostgresQuery) async throws -> [Entry] {
        try await db.query(query).rows.map { row in
            let (id, position) = try row.decode(Int64.self, Int64.self)
            return (id, position)
        }
    }
}
