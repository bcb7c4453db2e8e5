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
        try await db.write(PostgresQuery(unsafeSQL: liked ? Self.like : Self.unlike, parameters: [video.postgresText, user.postgresText]))
            .first?.column(0, as: Int64.self)
    }

    static let like = statement(
        change: "INSERT INTO video.favorites (user_id, video_id) SELECT $2::bigint, id FROM target ON CONFLICT DO NOTHING RETURNING video_id",
        sign: "+",
        inserted: "likes, liked",
        counters: """
            favorite_count = s.favorite_count + EXCLUDED.favorite_count,
            total_favorited = s.total_favorited + EXCLUDED.total_favorited
            """
    )

    static let unlike = statement(
        change: "DELETE FROM video.favorites WHERE user_id = $2 AND video_id IN (SELECT id FROM target) RETURNING video_id",
        sign: "-",
        inserted: "0, 0",
        counters: """
            favorite_count = s.favorite_count - (s.user_id = $2)::int,
            total_favorited = s.total_favorited - (s.user_id = (SELECT author_id FROM counted))::int
            """
    )

    /// A like or an unlike: `change` adds or removes the like row, and only if it did, the
    /// video's count moves by `sign` 1 and the users' counter rows by `counters`.
    /// $1 the video, $2 the user.
    ///
    /// `moved` is the counter rows a changed like moves, as (user, 1 if the liker, 1 if the
    /// author): the liker's and the author's, one row when they are the same user, in id
    /// order (the order every like and unlike locks them in). Each statement moves the
    /// counters one way only, so the rows carry no sums to group: a like inserts (or adds)
    /// its 0s and 1s, an unlike subtracts by who the row is. (PostgreSQL checks a row it
    /// would insert before it finds the conflict, so an unlike cannot carry -1s in the
    /// inserted row; a missing row starts at 0 either way.)
    private static func statement(change: String, sign: String, inserted: String, counters: String) -> String {
        """
        WITH target AS (SELECT id, author_id FROM video.videos WHERE id = $1 FOR NO KEY UPDATE),
        changed AS (\(change)),
        counted AS (
            UPDATE video.videos SET favorite_count = favorite_count \(sign) 1
            WHERE id IN (SELECT video_id FROM changed) RETURNING author_id
        ),
        moved AS (
            SELECT m.user_id, m.is_liker::int AS likes, (m.user_id = c.author_id)::int AS liked
            FROM counted c CROSS JOIN LATERAL (VALUES ($2::bigint, true), (c.author_id, false)) m(user_id, is_liker)
            WHERE m.is_liker OR c.author_id <> $2
        ),
        stats AS (
            INSERT INTO video.user_stats AS s (user_id, favorite_count, total_favorited)
            SELECT user_id, \(inserted) FROM moved ORDER BY user_id
            ON CONFLICT (user_id) DO UPDATE SET \(counters)
        )
        SELECT author_id FROM target
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
