import DouyinModels
import DouyinRPC

/// Methods other services call on `douyin-chat`.
struct ChatRPCMethods {
    let store: any MessageStoring

    func register(on server: RPCServer) {
        server.register(ChatRPC.LatestMessages.self) { request in
            try RPCBatch.check(request.peers.count)
            return .init(latest: try await store.latest(of: request.user, with: request.peers))
        }
    }
}
