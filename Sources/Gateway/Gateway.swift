import AsyncHTTPClient
import DouyinClients
import DouyinDiscovery
import DouyinHTTP
import DouyinHost
import DouyinModels
import DouyinObservability
import DouyinRPC
import DouyinWebSocket
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import NIOPosix

/// `douyin-gateway`: the only public port. Routes `/douyin/...` by `Endpoint.all`
/// to services found in the registry, verifies tokens, proxies bodies and media.
public enum Gateway {
    public static func run(config: DouyinConfig) async throws {
        try await ServiceHost.serve(config: config) { host in
            if config.internalSecret == nil {
                host.logger.warning("DOUYIN_INTERNAL_SECRET is unset: services will verify every token themselves")
            }
            let connectTimeout = Int64(try config.settings.int("gateway.connect_timeout_ms", default: 250, in: 1...60_000))
            var pool = HTTPClient.Configuration.ConnectionPool(idleTimeout: .seconds(60))
            pool.concurrentHTTP1ConnectionsPerHostSoftLimit = 256
            let client = HTTPClient(
                eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton),
                configuration: .init(
                    // Services are near: a short connect timeout makes a dead instance cost
                    // a quick 503 (the client retries refused connects until this passes).
                    timeout: .init(connect: .milliseconds(connectTimeout)),
                    connectionPool: pool, proxy: nil, ignoreUncleanSSLShutdown: false,
                    decompression: .disabled
                )
            )
            host.own("http client") { try await client.shutdown() }
            // Behind a load balancer, the client is who the balancer says it is, and only then.
            let clientAddress = ClientAddressRule.edge(config.trustedProxies)
            let router = host.makeRouter(parsesParameters: false, clientAddress: clientAddress)
            // Liveness stays public for load balancers (it says "up, not draining", no more);
            // readiness and metrics are on the admin listener only.
            host.healthRoutes.addLiveness(to: router)
            // Defaults far above API.md's floor (2,000 req/s from one address must pass).
            let rate = try config.settings.double("gateway.rate_per_address", default: 20_000, in: 0...1e9)
            let admission = Admission(
                limiter: rate > 0 ? RateLimiter(rate: rate, burst: rate, maxClients: config.cacheSizes.clients) : nil,
                maxInFlight: try config.settings.int("gateway.max_in_flight", default: 8_192, in: 1...1_000_000)
            )
            router.add(middleware: AdmissionMiddleware(admission))
            APIDescriptionRoute(directory: config.settings.string("docs_dir", default: "manifest/docs"), logger: host.logger)
                .add(to: router)
            let authenticator = GatewayAuthenticator(keys: host.authKeys)
            let balancers = Dictionary(
                uniqueKeysWithValues: ServiceName.allCases.map { ($0, LoadBalancer(service: $0, discovery: host.discovery)) }
            )
            let forwarding = balancers.mapValues { balancer in
                RPCClient(
                    service: balancer.service, balancer: balancer,
                    defaultTimeout: config.requestTimeout, connectTimeout: .milliseconds(connectTimeout)
                )
            }
            host.own("forwarding rpc clients") { for rpc in forwarding.values { await rpc.shutdown() } }
            let proxy = UpstreamProxy(
                client: client, services: forwarding, internalSecret: config.internalSecret, streamingTimeout: .seconds(600)
            )
            GatewayRoutes(authenticator: authenticator, proxy: proxy).add(to: router)
            // The API's form requests are answered in the pipeline, ahead of the router (same rules, same records).
            let forwarder = APIForwarder(
                authenticator: authenticator, proxy: proxy, admission: admission, clientAddress: clientAddress,
                timeout: config.requestTimeout, accessLog: host.accessLog, spans: host.spans, metrics: HTTPServerMetrics(),
                answers: AnswerCache(
                    versions: RedisVersionCounters(redis: host.redis),
                    capacity: config.cacheSizes.answers, maxBytes: config.cacheSizes.answerBytes
                ),
                logger: host.logger
            )

            let socketSettings = try WebSocketSettings(config.settings)
            let sockets = Router(context: GatewaySocketContext.self)
            SocketProxy(
                authenticator: authenticator, balancer: balancers[.chat]!, internalSecret: config.internalSecret,
                maxFrameBytes: socketSettings.maxFrameBytes, clientAddress: clientAddress
            ).add(to: sockets)
            try await host.run(
                router,
                server: .webSocketUpgrading(
                    sockets: sockets, settings: socketSettings, idleTimeout: config.idleTimeout,
                    additionalChannelHandlers: { [ExpectContinueHandler(), APIForwardingHandler(forwarder: forwarder)] }
                ) {
                    // The token is checked before the upgrade is made, so a refused one costs no socket.
                    UpgradeGated(base: $0) { query, authorization in
                        await authenticator.admitsSocket(query: query, authorization: authorization)
                    }
                }
            )
        }
    }
}

/// Every public path goes through one handler: route, authenticate, forward.
struct GatewayRoutes {
    let authenticator: GatewayAuthenticator
    let proxy: UpstreamProxy

    static let methods: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch, .head, .options]

    /// The API's paths are registered one by one only so that metrics and spans are
    /// labelled per endpoint; `handle` makes every routing decision itself.
    func add(to router: Router<DouyinRequestContext>) {
        for endpoint in Endpoint.all {
            router.on(RouterPath(endpoint.path), method: HTTPRequest.Method(endpoint.method.rawValue)!) { request, context in
                try await handle(request, context: context)
            }
        }
        for method in [HTTPRequest.Method.get, .head] {
            router.on(RouterPath("\(Endpoint.mediaPrefix)**"), method: method) { request, context in try await handle(request, context: context) }
        }
        for method in Self.methods {
            router.on("**", method: method) { request, context in try await handle(request, context: context) }
        }
    }

    func handle(_ request: Request, context: DouyinRequestContext) async throws -> Response {
        switch Endpoint.route(path: request.uri.path, method: request.method.rawValue) {
        // Health and metrics have routes of their own; only other methods get here.
        case .notFound, .operational: throw DouyinError(.routeNotFound)
        case .methodNotAllowed: throw DouyinError(.methodNotAllowed)
        case .media:
            return try await proxy.media(request, context: context)
        case .endpoint(let endpoint):
            let identity = try await authenticator.authenticate(request, endpoint: endpoint)
            switch endpoint.body {
            case .upload: return try await proxy.upload(request, to: endpoint.service, identity: identity, context: context)
            // A WebSocket path asked without an upgrade gets the chat service's answer.
            case .form, .socket: return try await proxy.forward(request, to: endpoint.service, identity: identity, context: context)
            }
        }
    }
}
