import DouyinCore
import DouyinModels

/// `douyin-video`: videos, media, favorites, comments and the per-user video counters.
public enum VideoService {
    public static func run(config: DouyinConfig) async throws {
        let host = try await ServiceHost(config: config, schema: "video")
        VideoRPCMethods(stats: UserStatsStore(db: host.postgres!)).register(on: host.rpc)
        try await host.run(host.makeRouter())
    }
}
