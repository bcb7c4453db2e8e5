import DouyinHTTP
import DouyinHost
import DouyinModels
import Hummingbird
import HummingbirdWebSocket

/// `douyin-chat`: messages; sending, conversation history and live WebSocket chat.
public enum ChatService {
    public static func run(config: DouyinConfig) async throws {
        try await ServiceHost.serve(config: config, schema: "chat") { host in
            let sessions = LiveSessions(outboxCapacity: config.reader.int(forKey: "chat.outbox_messages", default: 256))
            let feed = DeliveryFeed(redis: host.redis, sessions: sessions, logger: host.logger)
            let users = host.client(for: .user)
            let maxFrame = config.reader.int(forKey: "chat.max_frame_bytes", default: 16 * 1024)
            let context = ChatContext(
                store: MessageStore(db: host.postgres!), sessions: sessions, delivery: feed,
                existing: { ids in try await users.call(UserRPC.Existing.self, .init(ids: ids)).ids },
                knownUsers: config.cacheSizes.knownUsers, maxMessageBytes: maxFrame
            )
            ChatRPCMethods(store: context.store).register(on: host.rpc)

            let router = host.makeRouter()
            MessageRoutes(messaging: context.messaging).add(to: router)

            let pingSeconds = config.reader.int(forKey: "chat.ping_seconds", default: 30)
            let sockets = Router(context: ChatSocketContext.self)
            ChatSocketRoute(socket: context.socket, identity: host.identityResolver).add(to: sockets)
            try await host.run(
                router,
                server: .onConnectionEventLoop { [socketResponder = sockets.buildResponder(), pingSeconds] responder in
                    MalformedRequestGuard(HTTP1WebSocketUpgradeChannel(
                        responder: responder,
                        webSocketResponder: socketResponder,
                        configuration: .init(maxFrameSize: maxFrame, autoPing: .enabled(timePeriod: .seconds(pingSeconds)))
                    ))
                },
                extraServices: [feed]
            )
        }
    }
}
