import DouyinModels
import DouyinRPC

/// Methods other services call on `douyin-video`.
struct VideoRPCMethods {
    let stats: UserStatsStore

    func register(on server: RPCServer) {
        server.register(VideoRPC.UserStats.self) { request in
            try RPCBatch.check(request.ids.count)
            return .init(stats: try await stats.stats(request.ids))
        }
    }
}
