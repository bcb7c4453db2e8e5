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
    public func set(liked: Bool, user: UserID, video: Int64) async throws -> UserID? {
        try await db.transaction { connection in
            guard let author = try connection.query("SELECT author_id FROM video.videos WHERE id = \(video)").first?.column(0, as: Int64.self) else {
                return nil
            }
            let changed = liked
                ? try connection.query("INSERT INTO video.favorites (user_id, video_id) VALUES (\(user), \(video)) ON CONFLICT DO NOTHING").affectedRows
                : try connection.query("DELETE FROM video.favorites WHERE user_id = \(user) AND video_id = \(video)").affectedRows
            guard changed == 1 else { return author }
            let delta: Int64 = liked ? 1 : -1
            try connection.query("UPDATE video.videos SET favorite_count = favorite_count + \(delta) WHERE id = \(video)")
            try Self.adjustStats(connection, liker: user, author: author, by: delta)
            return author
        }
    }

    /// Both users' counters in one statement, rows in id order, so two likes
    /// crossing each other's authors cannot deadlock.
    private static func adjustStats(_ connection: PostgresConnection, liker: UserID, author: UserID, by delta: Int64) throws {
        let likes = liker == author ? [(liker, delta, delta)] : [(liker, delta, Int64(0)), (author, Int64(0), delta)].sorted { $0.0 < $1.0 }
        for (user, favorites, favorited) in likes {
            try connection.query(
                """
                INSERT INTO video.user_stats (user_id, favorite_count, total_favorited)
                VALUES (\(user), GREATEST(\(favorites), 0), GREATEST(\(favorited), 0))
                ON CONFLICT (user_id) DO UPDATE SET
                    favorite_count = video.user_stats.favorite_count + \(favorites),
                    total_favorited = video.user_stats.total_favorited + \(favorited)
                """
            )
        }
    }

    /// Videos `user` likes, most recently liked first, with the like's position.
    public func liked(by user: UserID, before: Int64?, limit: Int) async throws -> [(video: VideoStore.Row, position: Int64)] {
        try await db.query(
            """
            SELECT v.id, v.author_id, v.title, v.play_key, v.cover_key, v.favorite_count, v.comment_count, v.published_at, f.seq
            FROM video.favorites f JOIN video.videos v ON v.id = f.video_id
            WHERE f.user_id = \(user) AND f.seq < \(before ?? .max)
            ORDER BY f.seq DESC LIMIT \(limit)
            """
        ).rows.map { row in
            (try VideoStore.row(row), try row.column(8, as: Int64.self))
        }
    }
}
