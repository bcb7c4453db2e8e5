import DouyinClients
import DouyinHost
import DouyinModels
import DouyinWebSocket
import Hummingbird

/// `douyin-chat`: messages; sending, conversation history and live WebSocket chat.
public enum ChatService {
    public static func run(config: DouyinConfig) async throws {
        try await ServiceHost.serve(config: config, schema: "chat") { host in
            let sessions = LiveSessions(outboxCapacity: try config.settings.int("chat.outbox_messages", default: 256, in: 1...65_536))
            let feed = DeliveryFeed(redis: host.redis, sessions: sessions, logger: host.logger)
            let users = host.client(for: .user)
            let sockets = try WebSocketSettings(config.settings)
            let context = ChatContext(
                store: MessageStore(db: try host.database()), sessions: sessions, delivery: feed,
                versions: ContentVersions(redis: host.redis, logger: host.logger),
                existing: { ids in try await users.call(UserRPC.Existing.self, .init(ids: ids)).ids },
                knownUsers: config.cacheSizes.knownUsers, maxMessageBytes: sockets.maxFrameBytes
            )
            ChatRPCMethods(store: context.store).register(on: host.rpc)

            let router = host.makeRouter()
            MessageRoutes(messaging: context.messaging).add(to: router)

            let socketRouter = Router(context: ChatSocketContext.self)
            ChatSocketRoute(socket: context.socket, identity: host.identityResolver).add(to: socketRouter)
            try await host.run(router, server: .webSocketUpgrading(sockets: socketRouter, settings: sockets, idleTimeout: config.idleTimeout), extraServices: [feed])
        }
    }
}
