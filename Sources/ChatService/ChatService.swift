import DouyinCore
import DouyinModels

/// `douyin-chat`: messages; sending and conversation history.
public enum ChatService {
    public static func run(config: DouyinConfig) async throws {
        let host = try await ServiceHost(config: config, schema: "chat")
        let store = MessageStore(db: host.postgres!)
        ChatRPCMethods(store: store).register(on: host.rpc)
        let router = host.makeRouter()
        MessageRoutes(messaging: Messaging(store: store, users: host.client(for: .user))).add(to: router)
        try await host.run(router)
    }
}
