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
    /// Likes and unlikes waiting at the same time run as one statement each, over all
    /// their rows (`PostgresClient.write(row:of:)`).
    public func set(liked: Bool, user: UserID, video: Int64) async throws -> UserID? {
        try await db.write(row: [video, user], of: liked ? Self.like : Self.unlike).column(0, as: Int64?.self)
    }

    static let like = statement(
        change: """
            INSERT INTO video.favorites (user_id, video_id)
            SELECT i.user_id, t.id FROM input i JOIN target t ON t.id = i.video_id
            ON CONFLICT DO NOTHING RETURNING user_id, video_id
            """,
        sign: "+",
        inserted: "likes, liked",
        counters: """
            favorite_count = s.favorite_count + EXCLUDED.favorite_count,
            total_favorited = s.total_favorited + EXCLUDED.total_favorited
            """
    )

    static let unlike = statement(
        change: """
            DELETE FROM video.favorites f USING input i, target t
            WHERE t.id = i.video_id AND f.video_id = t.id AND f.user_id = i.user_id
            RETURNING f.user_id, f.video_id
            """,
        sign: "-",
        inserted: "0, 0",
        counters: """
            favorite_count = s.favorite_count - (SELECT m.likes FROM moved m WHERE m.user_id = s.user_id),
            total_favorited = s.total_favorited - (SELECT m.liked FROM moved m WHERE m.user_id = s.user_id)
            """
    )

    /// Likes or unlikes of (user, video) pairs: `change` adds or removes the like rows (a
    /// pair given twice changes one row), and only for the rows it did, the videos' counts
    /// move by `sign` their number and the users' counter rows by `counters`. $1 the
    /// videos, $2 the users, pair by pair; one row per pair, in order: the video's author,
    /// NULL when there is no such video.
    ///
    /// `moved` is what the changed rows add up to per user: likes given, likes received.
    /// Every like and unlike takes its locks in one order: all its videos first, in id
    /// order, before any like row is touched, then the users' counter rows in id order.
    /// So crossing statements cannot deadlock, and a like racing a video's deletion waits
    /// for it and then finds no video (`VideoStore.delete`). `moved` reads `counted`, so
    /// the videos' counts move before any counter row is locked. An unlike carries its
    /// sums in `moved`, not in the inserted row: PostgreSQL checks a row it would insert
    /// before it finds the conflict, and negative counts fail the CHECK (a missing row
    /// starts at 0 either way).
    private static func statement(change: String, sign: String, inserted: String, counters: String) -> String {
        """
        WITH input AS (SELECT * FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS i(video_id, user_id, position)),
        target AS (SELECT id, author_id FROM video.videos WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE),
        changed AS (\(change)),
        counted AS (
            UPDATE video.videos v SET favorite_count = v.favorite_count \(sign) c.likes
            FROM (SELECT video_id, count(*) AS likes FROM changed GROUP BY video_id) c
            WHERE v.id = c.video_id RETURNING v.author_id, c.likes
        ),
        moved AS (
            SELECT user_id, sum(likes)::bigint AS likes, sum(liked)::bigint AS liked FROM (
                SELECT user_id, 1 AS likes, 0 AS liked FROM changed
                UNION ALL SELECT author_id, 0, likes FROM counted
            ) m GROUP BY user_id
        ),
        stats AS (
            INSERT INTO video.user_stats AS s (user_id, favorite_count, total_favorited)
            SELECT user_id, \(inserted) FROM moved ORDER BY user_id
            ON CONFLICT (user_id) DO UPDATE SET \(counters)
        )
        SELECT t.author_id FROM input i LEFT JOIN target t ON t.id = i.video_id ORDER BY i.position
        """
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
