import DouyinHTTP
import DouyinIdentity
import DouyinModels
import DouyinRPC
import Hummingbird
import HummingbirdWebSocket

/// The request context of WebSocket upgrades.
struct ChatSocketContext: RequestContext, WebSocketRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket = WebSocketHandlerReference<ChatSocketContext>()

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }
}

/// `GET /douyin/message/ws/`: upgrades only for a valid requester. A refused
/// upgrade falls through to the HTTP router, which answers with the JSON error.
struct ChatSocketRoute {
    let socket: ChatSocket
    let identity: IdentityResolver

    func add(to router: Router<ChatSocketContext>) {
        router.ws("/douyin/message/ws/") { request, _ in
            guard case .user(let user) = await requester(of: request) else { return .dontUpgrade }
            await socket.prepare(for: user)
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            guard case .user(let user) = await requester(of: context.request) else { return }
            await socket.serve(user: user, inbound: inbound, outbound: outbound, logger: context.logger)
        }
    }

    /// The same rule as everywhere: the `token` query parameter, else a Bearer header.
    private func requester(of request: Request) async -> Identity {
        let token = (try? FormURLEncoding.parameter("token", in: request.uri.query ?? "")) ?? nil
        return await identity.resolve(headers: request.headers, tokenParameter: token)
    }
}
