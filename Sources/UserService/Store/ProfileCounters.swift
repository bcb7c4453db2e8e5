import DouyinPostgres

/// What `profiles` counts: each user's follows and followers, checked against `follows`.
enum ProfileCounters {
    /// The user service's advisory lock for reconciling (`CounterReconciler`).
    static let lockKey: Int64 = 0x646F_7579_696E_0001

    static func check(repaired: @escaping @Sendable ([Int64]) async -> Void) -> CounterCheck {
        CounterCheck(
            table: "users.profiles", key: "id",
            counting: [
                .init("follow_count", "SELECT count(*) FROM users.follows f WHERE f.follower_id = o.id"),
                .init("follower_count", "SELECT count(*) FROM users.follows f WHERE f.followee_id = o.id"),
            ],
            repaired: repaired
        )
    }
}
