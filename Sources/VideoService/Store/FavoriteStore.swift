import DouyinModels
import DouyinPostgres

/// Every SQL statement about likes.
///
/// A like is one row per (user, video); the three counters it moves (the
/// video's likes, the liker's favorite_count, the author's total_favorited)
/// change in the same transaction, and only when a row was really inserted or
/// deleted, so they never drift, double count or go negative.
public struct FavoriteStore: Sendable {
    let db: PostgresClient

    public init(db: PostgresClient) {
        self.db = db
    }

    /// Likes or unlikes; returns the video's author, nil when the video does not exist.
    ///
    /// One statement, so one round trip: the row changes (or not: a repeat changes
    /// nothing), and only if it did, the video's count and both users' counters move.
    /// Locks are taken in the same order by every like and unlike (the video first,
    /// before the like row is touched, then the two users' counters in id order), so
    /// crossing likes cannot deadlock, and a like racing the video's deletion waits for
    /// it and then finds no video (`VideoStore.delete`).
    public func set(liked: Bool, user: UserID, video: Int64) async throws -> UserID? {
        // $1 the video, $2 the user, $3 the change of the counts; the SQL text is constant.
        let change = liked
            ? "INSERT INTO video.favorites (user_id, video_id) SELECT $2::bigint, id FROM target ON CONFLICT DO NOTHING RETURNING video_id"
            : "DELETE FROM video.favorites WHERE user_id = $2 AND video_id IN (SELECT id FROM target) RETURNING video_id"
        let delta: Int64 = liked ? 1 : -1
        let query = PostgresQuery(
            unsafeSQL: """
                WITH target AS (SELECT id, author_id FROM video.videos WHERE id = $1 FOR NO KEY UPDATE),
                changed AS (\(change)),
                counted AS (
                    UPDATE video.videos SET favorite_count = favorite_count + $3::int
                    WHERE id IN (SELECT video_id FROM changed) RETURNING author_id
                ),
                deltas AS (
                    SELECT user_id, sum(favorites) AS favorites, sum(favorited) AS favorited FROM (
                        SELECT $2::bigint AS user_id, $3::int AS favorites, 0 AS favorited FROM changed
                        UNION ALL SELECT author_id, 0, $3::int FROM counted
                    ) d GROUP BY user_id
                ),
                stats AS (
                    INSERT INTO video.user_stats AS s (user_id, favorite_count, total_favorited)
                    SELECT user_id, GREATEST(favorites, 0), GREATEST(favorited, 0) FROM deltas ORDER BY user_id
                    ON CONFLICT (user_id) DO UPDATE SET
                        favorite_count = s.favorite_count + (SELECT d.favorites FROM deltas d WHERE d.user_id = s.user_id),
                        total_favorited = s.total_favorited + (SELECT d.favorited FROM deltas d WHERE d.user_id = s.user_id)
                )
                SELECT author_id FROM target
                """,
            parameters: [video.postgresText, user.postgresText, delta.postgresText]
        )
        return try await db.write(query).first?.column(0, as: Int64.self)
    }

    /// Videos `user` likes, most recently liked first, with the like's position.
    public func liked(by user: UserID, before: Int64?, limit: Int) async throws -> [(video: VideoStore.Row, position: Int64)] {
        try await db.query(
            """
            SELECT v.id, v.author_id, v.title, v.play_key, v.cover_key, v.favorite_count, v.comment_count, v.published_at,
                   v.hls_key, v.cover_small_key, f.seq
            FROM video.favorites f JOIN video.videos v ON v.id = f.video_id
            WHERE f.user_id = \(user) AND f.seq < \(before ?? .max)
            ORDER BY f.seq DESC LIMIT \(limit)
            """
        ).rows.map { row in
            (try VideoStore.row(row), try row.column(10, as: Int64.self))
        }
    }
}
