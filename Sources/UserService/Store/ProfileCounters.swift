import DouyinPostgres

/// What `profiles` counts: each user's follows and followers, checked against `follows`.
enum ProfileCounters {
    /// The user service's advisory lock for reconciling (`CounterReconciler`).
    static let lockKey: Int64 = 0x646F_7579_696E_0001

    static func check(repaired: @escaping @Sendable ([Int64]) async -> Void) -> CounterCheck {
        CounterCheck(
            table: "users.profiles", key: "id", counters: ["follow_count", "follower_count"],
            repair: { ids in
                """
                WITH counted AS (
                    SELECT p.id, p.follow_count AS stored_follows,
                           (SELECT count(*) FROM users.follows f WHERE f.follower_id = p.id) AS follows,
                           p.follower_count AS stored_followers,
                           (SELECT count(*) FROM users.follows f WHERE f.followee_id = p.id) AS followers
                    FROM users.profiles p WHERE p.id = ANY(\(ids))
                ), fixed AS (
                    UPDATE users.profiles p SET follow_count = c.follows, follower_count = c.followers
                    FROM counted c
                    WHERE p.id = c.id AND (c.stored_follows <> c.follows OR c.stored_followers <> c.followers)
                    RETURNING p.id
                )
                SELECT c.id, c.stored_follows, c.follows, c.stored_followers, c.followers
                FROM counted c JOIN fixed USING (id)
                """
            },
            repaired: repaired
        )
    }
}
