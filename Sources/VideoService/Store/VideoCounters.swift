import DouyinPostgres

/// What the video service counts: each video's likes and comments, and each user's works,
/// likes received and likes given, checked against `videos`, `favorites` and `comments`.
enum VideoCounters {
    /// The video service's advisory lock for reconciling (`CounterReconciler`).
    static let lockKey: Int64 = 0x646F_7579_696E_0002

    static func videos(repaired: @escaping @Sendable ([Int64]) async -> Void) -> CounterCheck {
        CounterCheck(
            table: "video.videos", key: "id", counters: ["favorite_count", "comment_count"],
            repair: { ids in
                """
                WITH counted AS (
                    SELECT v.id, v.favorite_count AS stored_favorites,
                           (SELECT count(*) FROM video.favorites f WHERE f.video_id = v.id) AS favorites,
                           v.comment_count AS stored_comments,
                           (SELECT count(*) FROM video.comments c WHERE c.video_id = v.id) AS comments
                    FROM video.videos v WHERE v.id = ANY(\(ids))
                ), fixed AS (
                    UPDATE video.videos v SET favorite_count = c.favorites, comment_count = c.comments
                    FROM counted c
                    WHERE v.id = c.id AND (c.stored_favorites <> c.favorites OR c.stored_comments <> c.comments)
                    RETURNING v.id
                )
                SELECT c.id, c.stored_favorites, c.favorites, c.stored_comments, c.comments
                FROM counted c JOIN fixed USING (id)
                """
            },
            repaired: repaired
        )
    }

    static func userStats(repaired: @escaping @Sendable ([Int64]) async -> Void) -> CounterCheck {
        CounterCheck(
            table: "video.user_stats", key: "user_id", counters: ["work_count", "total_favorited", "favorite_count"],
            repair: { ids in
                """
                WITH counted AS (
                    SELECT s.user_id AS id,
                           s.work_count AS stored_works,
                           (SELECT count(*) FROM video.videos v WHERE v.author_id = s.user_id) AS works,
                           s.total_favorited AS stored_favorited,
                           (SELECT count(*) FROM video.favorites f JOIN video.videos v ON v.id = f.video_id
                            WHERE v.author_id = s.user_id) AS favorited,
                           s.favorite_count AS stored_favorites,
                           (SELECT count(*) FROM video.favorites f WHERE f.user_id = s.user_id) AS favorites
                    FROM video.user_stats s WHERE s.user_id = ANY(\(ids))
                ), fixed AS (
                    UPDATE video.user_stats s
                    SET work_count = c.works, total_favorited = c.favorited, favorite_count = c.favorites
                    FROM counted c
                    WHERE s.user_id = c.id
                      AND (c.stored_works <> c.works OR c.stored_favorited <> c.favorited OR c.stored_favorites <> c.favorites)
                    RETURNING s.user_id
                )
                SELECT c.id, c.stored_works, c.works, c.stored_favorited, c.favorited, c.stored_favorites, c.favorites
                FROM counted c JOIN fixed ON fixed.user_id = c.id
                """
            },
            repaired: repaired
        )
    }
}
