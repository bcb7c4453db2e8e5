import DouyinModels
import DouyinPostgres

/// Every SQL statement about per-user video counters.
public struct UserStatsStore: Sendable {
    let db: PostgresClient

    public init(db: PostgresClient) {
        self.db = db
    }

    /// Counters of `ids`; users without a row have all zeros.
    public func stats(_ ids: [UserID]) async throws -> [UserID: UserVideoStats] {
        guard !ids.isEmpty else { return [:] }
        var stats: [UserID: UserVideoStats] = [:]
        for row in try await db.query(
            "SELECT user_id, work_count, total_favorited, favorite_count FROM video.user_stats WHERE user_id = ANY(\(ids))"
        ).rows {
            let (id, works, favorited, favorites) = try row.decode(Int64.self, Int64.self, Int64.self, Int64.self)
            stats[id] = UserVideoStats(workCount: works, totalFavorited: favorited, favoriteCount: favorites)
        }
        return stats
    }
}
