import DouyinDiscovery
import DouyinHTTP
import DouyinModels
import DouyinRPC
import HTTPTypes
import Hummingbird
import HummingbirdWSClient
import HummingbirdWebSocket
import Logging
import NIOCore

/// The request context of WebSocket upgrades at the gateway.
struct GatewaySocketContext: RequestContext, WebSocketRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket = WebSocketHandlerReference<GatewaySocketContext>()
    let remoteAddress: String?
    /// Opened before the client's upgrade is answered; shared by this context's copies.
    let upstream = UpstreamSocket()

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }
}

/// Live chat through the gateway: the client's socket is authenticated before
/// the upgrade, then joined to a socket on a chat instance, frame for frame.
///
/// An upgrade with a bad token never gets here: `SocketUpgradeGate` turns it into
/// a plain request, which the HTTP router refuses with the JSON error envelope
/// (API.md 8.2).
struct SocketProxy: Sendable {
    let authenticator: GatewayAuthenticator
    let balancer: LoadBalancer
    let internalSecret: String?
    let maxFrameBytes: Int
    let clientAddress: ClientAddressRule

    static let endpoint = Endpoint.at(path: "/douyin/message/ws/")!

    func add(to router: Router<GatewaySocketContext>) {
        router.ws(RouterPath(stringLiteral: Self.endpoint.path)) { request, context in
            guard case .user(let user) = try? await authenticator.authenticate(request, endpoint: Self.endpoint) else { return .dontUpgrade }
            let client = clientAddress.clientAddress(of: request, peer: context.remoteAddress)
            openUpstream(context.upstream, user: user, request: request, clientAddress: client, logger: context.logger)
            await context.upstream.waitUntilOpened()
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            let upstream = context.requestContext.upstream
            defer { upstream.finish() }
            guard let (upstreamInbound, upstreamOutbound) = upstream.take() else {
                try? await outbound.close(.unexpectedServerError, reason: "chat service unavailable")
                return
            }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await Self.pump(inbound, into: upstreamOutbound, maxBytes: maxFrameBytes) }
                group.addTask { await Self.pump(upstreamInbound, into: outbound, maxBytes: maxFrameBytes) }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// Opens the socket to a chat instance, which lives until the client's socket is done with it.
    private func openUpstream(_ upstream: UpstreamSocket, user: UserID, request: Request, clientAddress: String?, logger: Logger) {
        Task {
            guard let instance = await balancer.pick() else { return upstream.opened(nil) }
            var configuration = WebSocketClientConfiguration(maxFrameSize: maxFrameBytes)
            if let secret = internalSecret {
                configuration.additionalHeaders[.douyinUserID] = String(user)
                configuration.additionalHeaders[.douyinSecret] = secret
            }
            if let authorization = request.headers[.authorization] { configuration.additionalHeaders[.authorization] = authorization }
            configuration.additionalHeaders[.douyinClientAddress] = clientAddress ?? "unknown"
            do {
                try await WebSocketClient.connect(
                    url: "ws://\(instance.host):\(instance.httpPort)\(request.uri.string)", configuration: configuration, logger: logger
                ) { upstreamInbound, upstreamOutbound, _ in
                    upstream.opened((upstreamInbound, upstreamOutbound))
                    await upstream.holdOpen(claimWithin: .seconds(10))
                    try? await upstreamOutbound.close(.normalClosure, reason: nil)
                }
                balancer.succeeded(instance.id)
            } catch {
                balancer.eject(instance.id)
                logger.warning("chat socket upstream failed", metadata: ["instance": "\(instance.id)", "error": "\(error)"])
            }
            upstream.opened(nil)  // no effect once it was open
        }
    }

    /// Copies whole messages from one socket to the other until either side ends.
    private static func pump(_ inbound: WebSocketInboundStream, into outbound: WebSocketOutboundWriter, maxBytes: Int) async {
        do {
            for try await message in inbound.messages(maxSize: maxBytes) {
                switch message {
                case .text(let text): try await outbound.write(.text(text))
                case .binary(let bytes): try await outbound.write(.binary(bytes))
                }
            }
        } catch {}
    }
}
