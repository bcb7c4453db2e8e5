import DouyinClients
import DouyinDiscovery
import DouyinHTTP
import DouyinIdentity
import DouyinModels
import DouyinObservability
import DouyinPostgres
import DouyinRPC
import DouyinRedis
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Everything one service process shares, built once: config, logger, pools,
/// registry, RPC server and clients; and the one code path that runs and stops it.
///
///     try await ServiceHost.serve(config: config, schema: "users") { host in
///         host.rpc.register(UserRPC.Users.self) { ... }
///         let router = host.makeRouter()
///         router.get("/douyin/user/") { ... }
///         try await host.run(router)
///     }
///
/// Whatever the process opens (pools, clients) it hands to `own(_:close:)`; those are
/// closed once, in reverse order, however `serve` ends: after a graceful shutdown,
/// when a service fails, or when starting fails half-way.
public final class ServiceHost: Sendable {
    public let config: DouyinConfig
    public let logger: Logger
    /// One line per answered request, with the logger's label and metadata.
    public let accessLog: AccessLog
    public let redis: RedisClient
    /// Present when the service owns a schema.
    public let postgres: PostgresClient?
    public let registry: ServiceRegistry
    public let discovery: ServiceDiscovery
    public let rpc: RPCServer
    public let authKeys: AuthKeys
    /// Present when an OTLP endpoint is configured.
    public let spans: SpanExporter?
    private let clients = NIOLockedValueBox<[ServiceName: RPCClient]>([:])
    private let ports = BoundPorts()
    private let draining = NIOLockedValueBox(false)
    private let schema: String?
    private let owned = NIOLockedValueBox<[OwnedResource]>([])

    /// Builds the host, runs `body` with it (set up, then `run`), and closes everything
    /// the host and `body` opened, whether `body` returns or throws.
    /// - Parameter schema: the PostgreSQL schema this service owns; its migrations
    ///   in `manifest/sql/<service>/` are applied before `body` runs.
    public static func serve(
        config: DouyinConfig, schema: String? = nil, _ body: (ServiceHost) async throws -> Void
    ) async throws {
        let host = ServiceHost(config: config, schema: schema)
        do {
            // Redis settings first: a wrong password fails at once, not after the database's retries.
            try await host.checkRedisSettings()
            try await host.migrate()
            try await body(host)
        } catch {
            await host.closeOwned()
            throw error
        }
        await host.closeOwned()
    }

    /// Hands a resource to the host, which closes it once the services that use it stopped.
    public func own(_ name: String, close: @escaping @Sendable () async throws -> Void) {
        owned.withLockedValue { $0.append(OwnedResource(name, logger: logger, close: close)) }
    }

    /// What was handed over and is still open (for tests).
    package var openResources: [String] {
        owned.withLockedValue { $0.filter { !$0.isClosed }.map(\.name) }
    }

    /// Closes what is still open, newest first. (Queued log lines are written at exit.)
    private func closeOwned() async {
        for resource in owned.withLockedValue({ $0.reversed() }) { await resource.close() }
    }

    /// Refused credentials, or a cluster where one server was configured (or the reverse),
    /// are settings to fix, not an outage to wait out: the start fails, naming the settings.
    /// Redis that cannot be reached yet is only logged; every part that uses it retries.
    private func checkRedisSettings() async throws {
        do {
            _ = try await redis.send("PING")
            if !config.redis.isCluster, let info = try? await redis.send("INFO", "cluster").string, info.contains("cluster_enabled:1") {
                throw ConfigError.invalid(
                    "Redis at \(config.redis.host):\(config.redis.port) is a cluster node: list the cluster's nodes in DOUYIN_REDIS_CLUSTER_NODES"
                )
            }
        } catch let error as RedisError {
            switch error {
            case .authentication(let message),
                .reply(let message) where Self.isAuthenticationReply(message):
                throw ConfigError.invalid(
                    "Redis refused the credentials of DOUYIN_REDIS_USERNAME / DOUYIN_REDIS_PASSWORD (\(message.prefix(120)))"
                )
            case .topology(let message):
                throw ConfigError.invalid("DOUYIN_REDIS_CLUSTER_NODES: \(message)")
            default:
                logger.warning("Redis not reachable at start; retrying as it is used", metadata: ["error": "\(error)"])
            }
        }
    }

    static func isAuthenticationReply(_ message: String) -> Bool {
        ["NOAUTH", "WRONGPASS", "NOPERM"].contains { message.hasPrefix($0) }
    }

    private func migrate() async throws {
        guard let schema, let postgres else { return }
        let migrator = Migrator(schema: schema, directory: config.sqlDirectory.appendingPathComponent(config.service.rawValue))
        try await Self.retrying("PostgreSQL migrations", logger: logger) {
            do {
                try await migrator.migrate(postgres, logger: logger)
            } catch let error as PostgresError where error.isSetupRefusal {
                // A certificate, TLS mode or credential to fix: waiting will not help.
                throw ConfigError.invalid(
                    "PostgreSQL refused the connection (\(error)); check DOUYIN_POSTGRES_URL, DOUYIN_POSTGRES_SSLMODE, "
                        + "DOUYIN_POSTGRES_SSL_ROOT_CERT, DOUYIN_POSTGRES_SSL_CERT and DOUYIN_POSTGRES_SSL_KEY"
                )
            }
        }
    }

    private init(config: DouyinConfig, schema: String?) {
        Observability.bootstrap(level: config.logLevel)
        var logger = Logger(label: "douyin-\(config.service.rawValue)")
        logger[metadataKey: "service"] = "\(config.service.rawValue)"
        logger[metadataKey: "instance"] = "\(config.instanceID)"
        self.config = config
        self.logger = logger
        self.accessLog = AccessLog(
            label: logger.label,
            metadata: ["service": "\(config.service.rawValue)", "instance": "\(config.instanceID)"],
            level: logger.logLevel
        )
        self.redis = RedisClient(config.redis)
        self.registry = ServiceRegistry(redis: redis)
        self.discovery = ServiceDiscovery(registry: registry, redisConfiguration: config.redis, logger: logger)
        self.spans = config.tracing.map { tracing in
            SpanExporter(tracing, resource: [
                ("service.name", "douyin-\(config.service.rawValue)"), ("service.instance.id", config.instanceID),
                ("service.version", DouyinVersion.current),
            ], logger: logger)
        }
        self.rpc = RPCServer(logger: logger, spans: spans)
        self.schema = schema
        self.postgres = schema.map { _ in PostgresClient(config.postgres, logger: logger) }
        let authClient = RPCClient(service: .auth, balancer: LoadBalancer(service: .auth, discovery: discovery))
        self.authKeys = .fromAuthService(authClient, maxTokens: config.cacheSizes.tokens, logger: logger)
        clients.withLockedValue { $0[.auth] = authClient }
        // Closed last: every service above may use them until it stops.
        own("redis") { [redis] in await redis.shutdown() }
        if let postgres { own("postgres") { await postgres.shutdown() } }
        own("rpc clients") { [clients] in
            for client in clients.withLockedValue({ Array($0.values) }) { await client.shutdown() }
        }
    }

    /// The database of the schema this service owns; a programming error to ask without one.
    public func database() throws -> PostgresClient {
        guard let postgres else { throw DouyinError(.internalError, "douyin-\(config.service.rawValue) was started without a schema") }
        return postgres
    }

    /// The RPC client for `service` (one per process, shared).
    public func client(for service: ServiceName) -> RPCClient {
        clients.withLockedValue { clients in
            if let existing = clients[service] { return existing }
            let client = RPCClient(service: service, balancer: LoadBalancer(service: service, discovery: discovery))
            clients[service] = client
            return client
        }
    }

    public var identityResolver: IdentityResolver {
        IdentityResolver(keys: authKeys, internalSecret: config.internalSecret)
    }

    /// A router with the shared middleware stack. Health and metrics are on the admin
    /// listener (`AdminListener.swift`), not here.
    /// `parsesParameters: false` leaves bodies unread (the gateway streams them on).
    public func makeRouter(
        parsesParameters: Bool = true, clientAddress: ClientAddressRule = .behindGateway
    ) -> Router<DouyinRequestContext> {
        let router = Router(context: DouyinRequestContext.self)
        router.add(middleware: RequestScopeMiddleware(
            timeout: config.requestTimeout, accessLog: accessLog, spans: spans, clientAddress: clientAddress
        ))
        router.add(middleware: RequestMetricsMiddleware())
        router.add(middleware: ErrorMiddleware())
        if parsesParameters { router.add(middleware: ParameterMiddleware(identity: identityResolver)) }
        return router
    }

    /// `/healthz`, `/readyz` and `/metrics` of this process.
    public var healthRoutes: HealthRoutes {
        HealthRoutes(
            isDraining: { [draining] in draining.withLockedValue { $0 } },
            checks: readinessChecks,
            beforeScrape: { [postgres, redis, discovery] in
                for (pool, usage) in [("postgres", postgres?.usage), ("redis", redis.usage)] {
                    guard let usage else { continue }
                    Gauge(label: "douyin_pool_connections", dimensions: [("pool", pool), ("state", "open")]).record(usage.open)
                    Gauge(label: "douyin_pool_connections", dimensions: [("pool", pool), ("state", "leased")]).record(usage.leased)
                    Gauge(label: "douyin_pool_waiters", dimensions: [("pool", pool)]).record(usage.waiting)
                }
                for (service, count) in discovery.knownInstanceCounts {
                    Gauge(label: "douyin_registry_instances", dimensions: [("service", service.rawValue)]).record(count)
                }
            }
        )
    }

    private var readinessChecks: [@Sendable () async throws -> Void] {
        var checks: [@Sendable () async throws -> Void] = [{ [redis] in _ = try await redis.send("PING") }]
        if let postgres { checks.append { try await postgres.query("SELECT 1") } }
        return checks
    }

    /// Serves until SIGTERM or SIGINT; then deregisters, drains, closes pools, returns.
    /// - Parameter server: the HTTP channel setup; a WebSocket upgrade channel where a service speaks
    ///   WebSocket. By default HTTP/1.1 with idle connections closed and `CONNECT` refused.
    public func run<Context: RequestContext>(
        _ router: Router<Context>,
        server: HTTPServerBuilder? = nil,
        extraServices: [any Service] = []
    ) async throws where Context.Source == ApplicationRequestContextSource {
        let idleTimeout = config.idleTimeout
        let server = server ?? .onConnectionEventLoop { responder in
            HTTP1Channel(responder: responder, additionalChannelHandlers: { ConnectionGuards.handlers(idleTimeout: idleTimeout) })
        }
        let responder = router.buildResponder()
        rpc.serveForwardedHTTP(responder, logger: logger)
        let rpcPort = try await rpc.bind(host: config.httpHost, port: config.rpcPort)
        let rpcSocket = await bindRPCSocket()
        ports.setRPC(rpcPort)
        let app = Application(
            responder: responder,
            server: server,
            configuration: .init(address: .hostname(config.httpHost, port: config.httpPort), serverName: nil, backlog: 1024),
            onServerRunning: { [ports] channel in ports.setHTTP(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        try await run(app: app, rpcSocket: rpcSocket, extraServices: extraServices)
    }

    /// The Unix socket for callers on this node, when configured; TCP alone if it cannot be bound.
    private func bindRPCSocket() async -> String? {
        guard let directory = config.rpcSocketDirectory else { return nil }
        let path = "\(directory)/\(config.instanceID).sock"
        do {
            try await rpc.bind(unixSocket: path)
            return path
        } catch {
            logger.warning("RPC socket not bound; callers use TCP", metadata: ["path": "\(path)", "error": "\(error)"])
            return nil
        }
    }

    private func run(app: some ApplicationProtocol, rpcSocket: String?, extraServices: [any Service] = []) async throws {
        let config = self.config
        // Every setting has been read by now: what names none is most likely a typo.
        let unknown = config.settings.unknownVariables(in: ProcessInfo.processInfo.environment)
        if !unknown.isEmpty {
            logger.warning("environment variables that name no setting (misspelt?)", metadata: ["variables": "\(unknown.joined(separator: ", "))"])
        }
        let registration = RegistrationService(registry: registry, ports: ports, ttl: config.registryTTL, logger: logger) { http, rpc in
            ServiceInstance(
                id: config.instanceID, service: config.service, host: config.advertiseHost, httpPort: http, rpcPort: rpc,
                rpcSocket: rpcSocket, node: rpcSocket.map { _ in ServiceInstance.localNode },
                version: DouyinVersion.current, startedAt: Int64(Date().timeIntervalSince1970 * 1000)
            )
        }
        // Shutdown runs in reverse: leave the registry, mark unhealthy, stop the
        // extras (which end long-lived sockets), drain HTTP, then RPC, then discovery,
        // then send the last spans, then close what the process owns (pools, clients).
        // A drain that overruns the deadline is cancelled, so SIGTERM always ends the process.
        let owned = self.owned.withLockedValue { $0 }.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
        // Stops after the API has drained: probes see the drain, scrapes its end.
        let admin = ServiceGroupConfiguration.ServiceConfiguration(service: adminListener())
        var configuration = ServiceGroupConfiguration(
            services: owned + (spans.map { [ServiceGroupConfiguration.ServiceConfiguration(service: $0)] } ?? []) + [
                admin,
                .init(service: discovery),
                .init(service: RPCServerService(rpc)),
                .init(service: app),
            ] + extraServices.map { .init(service: $0) } + [
                .init(service: DrainFlag(draining)),
                .init(service: registration),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        configuration.maximumGracefulShutdownDuration = config.drainTimeout
        configuration.maximumCancellationDuration = .seconds(5)
        let group = ServiceGroup(configuration: configuration)
        try await group.run()
        logger.info("stopped")
    }

    /// Retries start-up work while a dependency comes up (a fresh PostgreSQL, say).
    @discardableResult
    static func retrying<T>(_ what: String, logger: Logger, attempts: Int = 30, _ body: () async throws -> T) async throws -> T {
        for attempt in 1..<attempts {
            do {
                return try await body()
            } catch let error as ConfigError {
                throw error
            } catch {
                logger.warning("\(what) failed; retrying", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
        return try await body()
    }
}

/// Flips the health endpoint to 503 as soon as shutdown starts.
struct DrainFlag: Service {
    let flag: NIOLockedValueBox<Bool>

    init(_ flag: NIOLockedValueBox<Bool>) { self.flag = flag }

    func run() async throws {
        try? await gracefulShutdown()
        flag.withLockedValue { $0 = true }
    }
}
