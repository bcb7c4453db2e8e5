import Configuration
import DouyinCaching
import DouyinModels
import DouyinObservability
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
    public var maxUploadBytes: Int
    public var publicBaseURL: String?
    public var tokenTTL: Duration
    /// Entries per in-memory cache (`cache.users`, `cache.pages`, ...).
    public var cacheSizes: CacheSizes
    /// Span export over OTLP/HTTP; nil (the default) = tracing only in logs.
    public var tracing: SpanExporter.Configuration?
    /// For service-specific keys.
    public let reader: ConfigReader

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
        self.service = service
        self.mode = mode
        self.reader = reader
        let hostName = ProcessInfo.processInfo.hostName
        instanceID = reader.string(forKey: "instance_id") ?? "\(service.rawValue)-\(hostName)-\(getpid())-\(UInt16.random(in: .min ... .max))"
        let advertise = reader.string(forKey: "advertise_host", default: "127.0.0.1")
        advertiseHost = advertise == "auto" ? (Self.firstNonLoopbackIPv4() ?? "127.0.0.1") : advertise
        httpHost = reader.string(forKey: "http.host", default: "127.0.0.1")
        let defaultHTTPPort = service == .gateway ? 8080 : 0
        httpPort = reader.int(forKey: "http.port", default: defaultHTTPPort)
        rpcPort = reader.int(forKey: "rpc.port", default: 0)
        rpcSocketDirectory = reader.string(forKey: "rpc.socket_dir").flatMap { $0.isEmpty ? nil : $0 }
        postgres = PostgresConfiguration(
            conninfo: reader.string(forKey: "postgres.url", isSecret: true, default: "postgresql://douyin@127.0.0.1:5432/douyin"),
            maxConnections: reader.int(forKey: "postgres.pool_size", default: 8),
            acquireTimeout: .milliseconds(reader.int(forKey: "postgres.acquire_timeout_ms", default: 5000))
        )
        redis = RedisConfiguration(
            host: reader.string(forKey: "redis.host", default: "127.0.0.1"),
            port: reader.int(forKey: "redis.port", default: 6379),
            timeout: .milliseconds(reader.int(forKey: "redis.timeout_ms", default: 2000))
        )
        registryTTL = .milliseconds(reader.int(forKey: "registry.ttl_ms", default: 10_000))
        internalSecret = reader.string(forKey: "internal_secret", isSecret: true).flatMap { $0.isEmpty ? nil : $0 }
        sqlDirectory = URL(fileURLWithPath: reader.string(forKey: "sql_dir", default: "manifest/sql"))
        logLevel = reader.string(forKey: "log_level", default: "info")
        drainTimeout = .seconds(reader.int(forKey: "drain_timeout_seconds", default: 10))
        requestTimeout = .milliseconds(reader.int(forKey: "request_timeout_ms", default: 10_000))
        maxUploadBytes = reader.int(forKey: "max_upload_bytes", default: 104_857_600)
        publicBaseURL = reader.string(forKey: "public_base_url").flatMap { $0.isEmpty ? nil : $0 }
        tokenTTL = .seconds(reader.int(forKey: "token_ttl_seconds", default: 604_800))
        tracing = try Self.tracing(reader)
        cacheSizes = try Self.cacheSizes(reader)
        guard (0...65535).contains(httpPort), (0...65535).contains(rpcPort) else {
            throw ConfigError.invalid("ports must be 0...65535")
        }
        guard maxUploadBytes > 0, tokenTTL > .zero, registryTTL >= .seconds(1) else {
            throw ConfigError.invalid("max_upload_bytes, token_ttl_seconds and registry.ttl_ms must be positive")
        }
    }

    static func cacheSizes(_ reader: ConfigReader) throws -> CacheSizes {
        var sizes = CacheSizes()
        let knobs: [(String, WritableKeyPath<CacheSizes, Int>)] = [
            ("users", \.users), ("viewers", \.viewers), ("pages", \.pages), ("feed_pages", \.feedPages),
            ("tokens", \.tokens), ("clients", \.clients), ("known_users", \.knownUsers),
        ]
        for (name, field) in knobs {
            let entries = reader.int(forKey: ConfigKey(["cache", name]), default: sizes[keyPath: field])
            guard entries > 0 else { throw ConfigError.invalid("cache.\(name) must be positive, not \(entries)") }
            sizes[keyPath: field] = entries
        }
        return sizes
    }

    /// Span export settings; nil unless `otlp.endpoint` is set.
    static func tracing(_ reader: ConfigReader) throws -> SpanExporter.Configuration? {
        guard let endpoint = reader.string(forKey: "otlp.endpoint"), !endpoint.isEmpty else { return nil }
        let tracing = SpanExporter.Configuration(
            endpoint: endpoint,
            sampleRatio: reader.double(forKey: "otlp.sample_ratio", default: 1),
            interval: .milliseconds(reader.int(forKey: "otlp.flush_interval_ms", default: 5000))
        )
        guard endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://") else {
            throw ConfigError.invalid("otlp.endpoint must be an http(s) URL, not \(endpoint)")
        }
        guard (0...1).contains(tracing.sampleRatio), tracing.interval > .zero else {
            throw ConfigError.invalid("otlp.sample_ratio must be within 0...1 and otlp.flush_interval_ms positive")
        }
        return tracing
    }
}

extension DouyinConfig {
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
