import DouyinCore
import DouyinModels

/// Methods other services call on `douyin-video`.
struct VideoRPCMethods {
    let stats: UserStatsStore

    static let maxBatch = 500

    func register(on server: RPCServer) {
        server.register(VideoRPC.UserStats.self) { request in
            guard request.ids.count <= Self.maxBatch else {
                throw DouyinError(.invalidParameter, "at most \(Self.maxBatch) ids per call")
            }
            return .init(stats: try await stats.stats(request.ids))
        }
    }
}
