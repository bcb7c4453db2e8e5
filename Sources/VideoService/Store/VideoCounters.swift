import DouyinPostgres

/// What the video service counts: each video's likes and comments, and each user's works,
/// likes received and likes given, checked against `videos`, `favorites` and `comments`.
enum VideoCounters {
    /// The video service's advisory lock for reconciling (`CounterReconciler`).
    static let lockKey: Int64 = 0x646F_7579_696E_0002

    static func videos(repaired: @escaping @Sendable ([Int64]) async -> Void) -> CounterCheck {
        CounterCheck(
            table: "video.videos", key: "id",
            counting: [
                .init("favorite_count", "SELECT count(*) FROM video.favorites f WHERE f.video_id = o.id"),
                .init("comment_count", "SELECT count(*) FROM video.comments c WHERE c.video_id = o.id"),
            ],
            repaired: repaired
        )
    }

    static func userStats(repaired: @escaping @Sendable ([Int64]) async -> Void) -> CounterCheck {
        CounterCheck(
            table: "video.user_stats", key: "user_id",
            counting: [
                .init("work_count", "SELECT count(*) FROM video.videos v WHERE v.author_id = o.user_id"),
                .init("total_favorited", """
                    SELECT count(*) FROM video.favorites f JOIN video.videos v ON v.id = f.video_id WHERE v.author_id = o.user_id
                    """),
                .init("favorite_count", "SELECT count(*) FROM video.favorites f WHERE f.user_id = o.user_id"),
            ],
            repaired: repaired
        )
    }
}
