import DouyinCore
import DouyinModels

/// Methods other services call on `douyin-chat`.
struct ChatRPCMethods {
    let store: MessageStore

    static let maxBatch = 500

    func register(on server: RPCServer) {
        server.register(ChatRPC.LatestMessages.self) { request in
            guard request.peers.count <= Self.maxBatch else {
                throw DouyinError(.invalidParameter, "at most \(Self.maxBatch) peers per call")
            }
            return .init(latest: try await store.latest(of: request.user, with: request.peers))
        }
    }
}
