import DouyinHost
import DouyinModels
import DouyinPool
import DouyinPostgres
import Foundation
import Testing

/// Settings are strict: a value that does not parse stops the start, naming the variable
/// and the value; a `DOUYIN_*` variable that names no setting is reported.
struct ConfigTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func load(_ environment: [String: String], service: ServiceName = .user) async throws -> DouyinConfig {
        try await DouyinConfig.load(
            service: service, environment: ["DOUYIN_CONFIG_DIR": Self.root.appendingPathComponent("manifest/config").path].merging(environment) { $1 }
        )
    }

    @Test(arguments: [
        ("DOUYIN_HTTP_PORT", "80a"), ("DOUYIN_HTTP_PORT", "70000"), ("DOUYIN_LOG_LEVEL", "verbose"),
        ("DOUYIN_REDIS_PORT", "0"), ("DOUYIN_CACHE_USERS", "-5"), ("DOUYIN_OTLP_SAMPLE_RATIO", "lots"),
        ("DOUYIN_REQUEST_TIMEOUT_MS", "1.5"), ("DOUYIN_POSTGRES_POOL_SIZE", " 8"),
        ("DOUYIN_POSTGRES_SSLMODE", "verify"), ("DOUYIN_POSTGRES_SSL_ROOT_CERT", "/nonexistent/ca.crt"),
        ("DOUYIN_POSTGRES_SSL_KEY", "/nonexistent/client.key"), ("DOUYIN_ADMIN_PORT", "8o81"),
        ("DOUYIN_TRUSTED_PROXIES", "10.0.0.0/33"), ("DOUYIN_REDIS_CLUSTER_NODES", "10.0.0.1:7000,redis-1"), ("DOUYIN_TRUSTED_PROXIES", "10.0.0.1, lb.internal"),
    ])
    func aValueThatDoesNotParseStopsTheStart(_ variable: String, _ value: String) async throws {
        do {
            _ = try await load([variable: value, "DOUYIN_OTLP_ENDPOINT": "http://127.0.0.1:4318"])
            Issue.record("\(variable)=\(value) was accepted")
        } catch {
            #expect("\(error)".contains(variable) && "\(error)".contains(value), "\(error)")
        }
    }

    @Test func goodValuesFromTheEnvironmentAndTheYAMLFile() async throws {
        let config = try await load(["DOUYIN_HTTP_PORT": "9090", "DOUYIN_LOG_LEVEL": "debug", "DOUYIN_CACHE_PAGES": "7"])
        #expect(config.httpPort == 9090 && config.logLevel == "debug" && config.cacheSizes.pages == 7)
        #expect(config.redis.port == 56379, "from manifest/config/dev.yaml, a YAML number")
    }

    /// Write groups linger by default; 0 turns it off; a bad value stops the start.
    @Test func theWriteLingerDefaultsOnAndCanBeTurnedOff() async throws {
        #expect(try await load([:]).postgres.writeLinger == BatchLinger(window: .microseconds(400), whenWaiting: 8))
        let tuned = try await load(["DOUYIN_POSTGRES_WRITE_LINGER_US": "250", "DOUYIN_POSTGRES_WRITE_LINGER_WHEN_WAITING": "4"])
        #expect(tuned.postgres.writeLinger == BatchLinger(window: .microseconds(250), whenWaiting: 4))
        #expect(try await load(["DOUYIN_POSTGRES_WRITE_LINGER_US": "0"]).postgres.writeLinger == nil)
        await #expect(throws: (any Error).self) { try await load(["DOUYIN_POSTGRES_WRITE_LINGER_WHEN_WAITING": "1"]) }
    }

    /// The TLS settings override the same words in the URL (libpq keeps the last value).
    @Test func postgresTLSSettingsWinOverTheURL() async throws {
        let ca = Self.root.appendingPathComponent("README.md").path
        let config = try await load([
            "DOUYIN_POSTGRES_URL": "postgresql://douyin@db.internal/douyin?sslmode=disable&connect_timeout=2",
            "DOUYIN_POSTGRES_SSLMODE": "verify-full", "DOUYIN_POSTGRES_SSL_ROOT_CERT": ca,
        ])
        #expect(config.postgres.tls == PostgresTLS(mode: "verify-full", rootCertificate: ca))
        let keywords = config.postgres.parameters.keywords.map { "\($0.keyword)=\($0.value)" }
        #expect(keywords == [
            "connect_timeout=5", "dbname=postgresql://douyin@db.internal/douyin?sslmode=disable&connect_timeout=2",
            "sslmode=verify-full", "sslrootcert=\(ca)",
        ])
    }

    @Test func variablesThatNameNoSettingAreReported() async throws {
        let environment = [
            "DOUYIN_HTTP_PROT": "8080", "DOUYIN_HTTP_PORT": "8080", "DOUYIN_STORAGE_BACKEND": "s3",
            "DOUYIN_TEST_REDIS_PORT": "1", "DOUYIN_MODE": "dev", "PATH": "/bin", "DOUYIN_CACHE_USER": "5",
        ]
        let config = try await load(environment)
        #expect(config.settings.unknownVariables(in: environment) == ["DOUYIN_CACHE_USER", "DOUYIN_HTTP_PROT"])
    }

    /// Every key the sources read is known to every process: read by all, or listed as one
    /// some services read. A key added to a service and forgotten here would be reported
    /// as a typo by the processes that do not read it.
    @Test func everyKeyTheSourcesReadIsKnown() async throws {
        let config = try await load([:])
        let sources = FileManager.default.enumerator(atPath: Self.root.appendingPathComponent("Sources").path)!
        let pattern = #/settings\.(?:int|double|string|choice)\("([a-z0-9_.]+)"/#
        var keys: Set<String> = []
        while let path = sources.nextObject() as? String {
            guard path.hasSuffix(".swift") else { continue }
            let text = try String(contentsOf: Self.root.appendingPathComponent("Sources/\(path)"), encoding: .utf8)
            for match in text.matches(of: pattern) { keys.insert(String(match.1)) }
        }
        #expect(keys.count > 30)
        for key in keys.sorted() {
            #expect(config.settings.unknownVariables(in: [Settings.variable(key): "1"]).isEmpty, "\(key)")
        }
    }
}
