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
    /// Likes and unlikes waiting at the same time run as one statement over all their
    /// rows (`PostgresClient.write(row:of:)`).
    public func set(liked: Bool, user: UserID, video: Int64) async throws -> UserID? {
        try await db.write(row: [video, user, liked], of: Self.setLikes).column(0, as: Int64?.self)
    }

    /// Likes and unlikes of (video, user) pairs: $1 the videos, $2 the users, $3 whether
    /// each is a like, row by row; one row per row given, in order: the video's author,
    /// NULL when there is no such video.
    ///
    /// Rows of one pair count as if run one after another in their order: the last one
    /// says whether the pair ends liked (`wanted`), and the like row is added or removed
    /// only if that changes it, once. Only for the rows that changed, the videos' counts
    /// and the users' counter rows move by the net of their changes (`moved`: likes
    /// given, likes received), and a net of zero writes nothing.
    ///
    /// Locks are taken in one order: all the videos first, in id order, before any like
    /// row is touched, then the users' counter rows in id order. So crossing statements
    /// cannot deadlock, and a like racing a video's deletion waits for it and then finds
    /// no video (`VideoStore.delete`). `moved` reads `counted`, so the videos' counts move
    /// before any counter row is locked. The counter rows' changes are read from `moved`,
    /// not from the inserted row: PostgreSQL checks a row it would insert before it finds
    /// the conflict, and a negative count fails the CHECK (a missing row starts at 0).
    ///
    /// One statement for likes and unlikes rather than one each: a write group's fixed
    /// cost is mostly per statement (in pgbench, groups of ten cost about a sixth less).
    static let setLikes = """
        WITH input AS (
            SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::boolean[]) WITH ORDINALITY AS i(video_id, user_id, liked, position)
        ),
        target AS (SELECT id, author_id FROM video.videos WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE),
        wanted AS (
            SELECT DISTINCT ON (i.user_id, i.video_id) i.user_id, i.video_id, i.liked
            FROM input i JOIN target t ON t.id = i.video_id
            ORDER BY i.user_id, i.video_id, i.position DESC
        ),
        added AS (
            INSERT INTO video.favorites (user_id, video_id) SELECT user_id, video_id FROM wanted WHERE liked
            ON CONFLICT DO NOTHING RETURNING user_id, video_id
        ),
        removed AS (
            DELETE FROM video.favorites f USING wanted w
            WHERE NOT w.liked AND f.user_id = w.user_id AND f.video_id = w.video_id
            RETURNING f.user_id, f.video_id
        ),
        changed AS (SELECT user_id, video_id, 1 AS delta FROM added UNION ALL SELECT user_id, video_id, -1 FROM removed),
        counted AS (
            UPDATE video.videos v SET favorite_count = v.favorite_count + c.delta
            FROM (SELECT video_id, sum(delta) AS delta FROM changed GROUP BY video_id) c
            WHERE v.id = c.video_id AND c.delta <> 0 RETURNING v.author_id, c.delta
        ),
        moved AS (
            SELECT user_id, sum(likes)::bigint AS likes, sum(liked)::bigint AS liked FROM (
                SELECT user_id, delta AS likes, 0 AS liked FROM changed
                UNION ALL SELECT author_id, 0, delta FROM counted
            ) m GROUP BY user_id
        ),
        stats AS (
            INSERT INTO video.user_stats AS s (user_id, favorite_count, total_favorited)
            SELECT user_id, greatest(likes, 0), greatest(liked, 0) FROM moved WHERE likes <> 0 OR liked <> 0 ORDER BY user_id
            ON CONFLICT (user_id) DO UPDATE SET
                favorite_count = s.favorite_count + (SELECT m.likes FROM moved m WHERE m.user_id = s.user_id),
                total_favorited = s.total_favorited + (SELECT m.liked FROM moved m WHERE m.user_id = s.user_id)
        )
        SELECT t.author_id FROM input i LEFT JOIN target t ON t.id = i.video_id ORDER BY i.position
        """

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
