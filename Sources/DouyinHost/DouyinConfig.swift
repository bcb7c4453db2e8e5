import Configuration
import DouyinCaching
import DouyinHTTP
import DouyinModels
import DouyinObservability
import DouyinPool
import DouyinPostgres
import DouyinRedis
import Foundation
import SystemPackage

/// Settings of one process: environment variables over `manifest/config/<DOUYIN_MODE>.yaml`.
///
/// A key `http.port` is read from `DOUYIN_HTTP_PORT`, else from `http: port:` in
/// the YAML file, else the default here. Secrets (database password, internal
/// secret) belong in the environment only, never in the YAML files.
public struct DouyinConfig: Sendable {
    public var service: ServiceName
    public var mode: String
    public var instanceID: String
    /// The address other processes reach this one at, as written to the registry.
    public var advertiseHost: String
    public var httpHost: String
    /// 0 = any free port (the registry tells callers which).
    public var httpPort: Int
    /// Where `/healthz`, `/readyz` and `/metrics` are served, apart from the API
    /// (probes and scrapes; never published). 0 = any free port, logged at start.
    public var adminHost: String
    public var adminPort: Int
    /// Proxies whose `X-Forwarded-For` names the client (used where clients connect: the gateway).
    public var trustedProxies: TrustedProxies
    public var rpcPort: Int
    /// Where the RPC server also listens on a Unix socket (`<dir>/<instance id>.sock`)
    /// for callers on the same node; nil (the default) = TCP only.
    public var rpcSocketDirectory: String?
    public var postgres: PostgresConfiguration
    public var redis: RedisConfiguration
    public var registryTTL: Duration
    /// Proof that a request came through the gateway; unset = services verify every token themselves.
    public var internalSecret: String?
    /// Where `manifest/sql/<service>/` lives.
    public var sqlDirectory: URL
    public var logLevel: String
    public var drainTimeout: Duration
    /// Deadline of one public request, inherited by the RPCs it makes.
    public var requestTimeout: Duration
    /// How long a client connection may send nothing (between requests, or mid-request) before it is closed.
    public var idleTimeout: Duration
    public var maxUploadBytes: Int
    public var publicBaseURL: String?
    public var tokenTTL: Duration
    /// Entries per in-memory cache (`cache.users`, `cache.pages`, ...).
    public var cacheSizes: CacheSizes
    /// Span export over OTLP/HTTP; nil (the default) = tracing only in logs.
    public var tracing: SpanExporter.Configuration?
    /// For service-specific keys, read as strictly as these.
    public let settings: Settings

    public static func load(service: ServiceName, environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> DouyinConfig {
        let mode = environment["DOUYIN_MODE"].flatMap { $0.isEmpty ? nil : $0 } ?? "dev"
        guard ["dev", "fat", "uat", "pro"].contains(mode) else {
            throw ConfigError.invalid("DOUYIN_MODE must be dev, fat, uat or pro, not \(mode)")
        }
        let directory = environment["DOUYIN_CONFIG_DIR"] ?? "manifest/config"
        let file = try await FileProvider<YAMLSnapshot>(filePath: FilePath("\(directory)/\(mode).yaml"), allowMissing: true)
        let reader = ConfigReader(providers: [
            EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "douyin"),
            file,
        ])
        return try DouyinConfig(service: service, mode: mode, reader: reader)
    }

    init(service: ServiceName, mode: String, reader: ConfigReader) throws {
        let settings = Settings(reader: reader)
        self.service = service
        self.mode = mode
        self.settings = settings
        let hostName = ProcessInfo.processInfo.hostName
        instanceID = settings.string("instance_id") ?? "\(service.rawValue)-\(hostName)-\(getpid())-\(UInt16.random(in: .min ... .max))"
        let advertise = settings.string("advertise_host", default: "127.0.0.1")
        advertiseHost = advertise == "auto" ? (Self.firstNonLoopbackIPv4() ?? "127.0.0.1") : advertise
        httpHost = settings.string("http.host", default: "127.0.0.1")
        httpPort = try settings.int("http.port", default: service == .gateway ? 8080 : 0, in: 0...65535)
        adminHost = settings.string("admin.host", default: httpHost)
        adminPort = try settings.int("admin.port", default: 0, in: 0...65535)
        trustedProxies = try settings.parsed("trusted_proxies") { try TrustedProxies(parsing: $0) } ?? .none
        rpcPort = try settings.int("rpc.port", default: 0, in: 0...65535)
        rpcSocketDirectory = settings.string("rpc.socket_dir")
        postgres = PostgresConfiguration(
            conninfo: settings.string("postgres.url", isSecret: true, default: "postgresql://douyin@127.0.0.1:5432/douyin"),
            maxConnections: try settings.int("postgres.pool_size", default: 8, in: 1...1024),
            acquireTimeout: .milliseconds(try settings.int("postgres.acquire_timeout_ms", default: 5000, in: 1...600_000)),
            tls: PostgresTLS(
                mode: try settings.choice("postgres.sslmode", among: PostgresTLS.modes),
                rootCertificate: try settings.readableFile("postgres.ssl_root_cert"),
                certificate: try settings.readableFile("postgres.ssl_cert"),
                key: try settings.readableFile("postgres.ssl_key")
            ),
            writeLinger: try Self.writeLinger(settings)
        )
        let redisUsername = settings.string("redis.username")
        redis = RedisConfiguration(
            host: settings.string("redis.host", default: "127.0.0.1"),
            port: try settings.int("redis.port", default: 6379, in: 1...65535),
            timeout: .milliseconds(try settings.int("redis.timeout_ms", default: 2000, in: 1...600_000)),
            credentials: settings.string("redis.password", isSecret: true).map {
                RedisConfiguration.Credentials(username: redisUsername, password: $0)
            },
            clusterNodes: try settings.parsed("redis.cluster_nodes") { try RedisNode.list($0) } ?? []
        )
        registryTTL = .milliseconds(try settings.int("registry.ttl_ms", default: 10_000, in: 1000...3_600_000))
        internalSecret = settings.string("internal_secret", isSecret: true)
        sqlDirectory = URL(fileURLWithPath: settings.string("sql_dir", default: "manifest/sql"))
        logLevel = try settings.choice(
            "log_level", default: "info", among: ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        )
        drainTimeout = .seconds(try settings.int("drain_timeout_seconds", default: 10, in: 0...3600))
        requestTimeout = .milliseconds(try settings.int("request_timeout_ms", default: 10_000, in: 1...3_600_000))
        idleTimeout = .seconds(try settings.int("idle_timeout_seconds", default: 60, in: 1...86_400))
        maxUploadBytes = try settings.int("max_upload_bytes", default: 104_857_600, in: 1...Int.max)
        publicBaseURL = settings.string("public_base_url")
        tokenTTL = .seconds(try settings.int("token_ttl_seconds", default: 604_800, in: 1...Int(Int32.max)))
        tracing = try Self.tracing(settings)
        cacheSizes = try Self.cacheSizes(settings)
    }

    static func cacheSizes(_ settings: Settings) throws -> CacheSizes {
        var sizes = CacheSizes()
        let knobs: [(String, WritableKeyPath<CacheSizes, Int>)] = [
            ("users", \.users), ("viewers", \.viewers), ("pages", \.pages), ("feed_pages", \.feedPages),
            ("tokens", \.tokens), ("clients", \.clients), ("known_users", \.knownUsers), ("answers", \.answers),
            ("answer_bytes", \.answerBytes),
        ]
        for (name, field) in knobs {
            sizes[keyPath: field] = try settings.int("cache.\(name)", default: sizes[keyPath: field], in: 1...100_000_000)
        }
        return sizes
    }

    /// Span export settings; nil unless `otlp.endpoint` is set.
    static func tracing(_ settings: Settings) throws -> SpanExporter.Configuration? {
        // Checked even with tracing off: a bad value is a mistake either way.
        let sampleRatio = try settings.double("otlp.sample_ratio", default: 1, in: 0...1)
        let interval = try settings.int("otlp.flush_interval_ms", default: 5000, in: 1...3_600_000)
        guard let endpoint = settings.string("otlp.endpoint") else { return nil }
        guard endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://") else {
            throw ConfigError.invalid("\(Settings.variable("otlp.endpoint")) must be an http(s) URL, not \(endpoint)")
        }
        return SpanExporter.Configuration(endpoint: endpoint, sampleRatio: sampleRatio, interval: .milliseconds(interval))
    }
}

extension DouyinConfig {
    /// `postgres.write_linger_us` (0 = off) and `postgres.write_linger_when_waiting`.
    private static func writeLinger(_ settings: Settings) throws -> BatchLinger? {
        let defaults = PostgresConfiguration.defaultWriteLinger
        let window = try settings.int("postgres.write_linger_us", default: Int(defaults.window / .microseconds(1)), in: 0...100_000)
        let waiting = try settings.int("postgres.write_linger_when_waiting", default: defaults.whenWaiting, in: 2...64)
        return window == 0 ? nil : BatchLinger(window: .microseconds(window), whenWaiting: waiting)
    }

    /// The first non-loopback IPv4 address, for `advertise_host: auto` in containers,
    /// where other services reach this process by its own address.
    static func firstNonLoopbackIPv4() -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET),
                entry.pointee.ifa_flags & UInt32(IFF_LOOPBACK) == 0
            else { continue }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            guard getnameinfo(address, socklen_t(MemoryLayout<sockaddr_in>.size), &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else {
                continue
            }
            return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return nil
    }
}

public enum ConfigError: Error, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let message): "configuration: \(message)"
        }
    }
}
