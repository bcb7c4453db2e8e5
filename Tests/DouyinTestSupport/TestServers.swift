import DouyinPostgres
import DouyinRedis
import Foundation
import Logging

/// The PostgreSQL and Redis that `Scripts/test.sh` starts for the tests.
///
/// Tests that need them are enabled when they are configured, and always in CI,
/// where a missing server must fail the run rather than skip it silently.
public enum TestServers {
    static let environment = ProcessInfo.processInfo.environment

    /// Admin URL (role may create databases), e.g. `postgresql://douyin@127.0.0.1:5432/douyin`.
    public static let postgresURL = environment["DOUYIN_TEST_POSTGRES_URL"]
    public static let redisPort = environment["DOUYIN_TEST_REDIS_PORT"].flatMap(Int.init)
    /// A Redis Cluster `Scripts/test.sh` starts beside the single server.
    public static let redisClusterNodes = environment["DOUYIN_TEST_REDIS_CLUSTER_NODES"].flatMap { try? RedisNode.list($0) }
    /// The CA that signs the test PostgreSQL's certificate, and one that does not
    /// (`Scripts/test.sh` starts that server with TLS required).
    public static let postgresCA = environment["DOUYIN_TEST_POSTGRES_CA"]
    public static let postgresOtherCA = environment["DOUYIN_TEST_POSTGRES_OTHER_CA"]
    public static let inCI = environment["CI"].map { !$0.isEmpty && $0 != "false" } ?? false

    /// Whether server tests run: the servers are configured, or we are in CI (and then must fail without them).
    public static var enabled: Bool { inCI || (postgresURL != nil && redisPort != nil) }

    public static let skipReason: Comment =
        "needs PostgreSQL and Redis: run Scripts/test.sh, or set DOUYIN_TEST_POSTGRES_URL and DOUYIN_TEST_REDIS_PORT"

    public struct Missing: Error, CustomStringConvertible {
        public var description: String { "DOUYIN_TEST_POSTGRES_URL / DOUYIN_TEST_REDIS_PORT not set (run Scripts/test.sh)" }
    }

    public static func requirePostgresURL() throws -> String {
        guard let postgresURL else { throw Missing() }
        return postgresURL
    }

    /// The TLS the test PostgreSQL requires: its URL and both CA files.
    public static func requirePostgresTLS() throws -> (url: String, ca: String, otherCA: String) {
        guard let postgresURL, let postgresCA, let postgresOtherCA else { throw MissingTLS() }
        return (postgresURL, postgresCA, postgresOtherCA)
    }

    /// Whether TLS tests run: the CAs are configured, or we are in CI.
    public static var tlsEnabled: Bool { inCI || (postgresURL != nil && postgresCA != nil && postgresOtherCA != nil) }

    public static let tlsSkipReason: Comment =
        "needs PostgreSQL with TLS: run Scripts/test.sh, or set DOUYIN_TEST_POSTGRES_CA and DOUYIN_TEST_POSTGRES_OTHER_CA"

    public struct MissingTLS: Error, CustomStringConvertible {
        public var description: String { "DOUYIN_TEST_POSTGRES_CA / DOUYIN_TEST_POSTGRES_OTHER_CA not set (run Scripts/test.sh)" }
    }

    public static func redisConfiguration(timeout: Duration = .seconds(2)) throws -> RedisConfiguration {
        guard let redisPort else { throw Missing() }
        return RedisConfiguration(host: "127.0.0.1", port: redisPort, timeout: timeout)
    }

    /// A new database with one service's migrations applied (`manifest/sql/<folder>`), as a client.
    public static func migratedDatabase(schema: String, folder: String, maxConnections: Int = 8) async throws -> PostgresClient {
        let sql = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("manifest/sql")
        let db = PostgresClient(.init(conninfo: try await makeDatabase(), maxConnections: maxConnections), logger: Logger(label: "test"))
        try await Migrator(schema: schema, directory: sql.appendingPathComponent(folder)).migrate(db, logger: Logger(label: "test"))
        return db
    }

    /// A new, empty database for one test; its URL.
    public static func makeDatabase() async throws -> String {
        let admin = try requirePostgresURL()
        let name = "test_\(UInt64.random(in: 0 ... .max))"
        let client = PostgresClient(PostgresConfiguration(conninfo: admin, maxConnections: 1), logger: Logger(label: "test"))
        try await client.withConnection { try $0.executeScript("CREATE DATABASE \(name)") }
        await client.shutdown()
        guard let slash = admin.lastIndex(of: "/") else { throw Missing() }
        return String(admin[...slash]) + name
    }
}

import Testing

/// Where Redis integration tests run: the single test server and the test cluster
/// (in CI always both; elsewhere the cluster only when configured).
public enum RedisTarget: String, Sendable, CaseIterable, CustomStringConvertible {
    case server
    case cluster

    public static var all: [RedisTarget] {
        TestServers.inCI || TestServers.redisClusterNodes != nil ? [.server, .cluster] : [.server]
    }

    public var description: String { rawValue }

    public func configuration(timeout: Duration = .seconds(2)) throws -> RedisConfiguration {
        switch self {
        case .server:
            return try TestServers.redisConfiguration(timeout: timeout)
        case .cluster:
            guard let nodes = TestServers.redisClusterNodes else { throw MissingCluster() }
            return RedisConfiguration(timeout: timeout, clusterNodes: nodes)
        }
    }

    /// Connections one client keeps per event loop: one per node.
    public var nodeCount: Int { self == .cluster ? TestServers.redisClusterNodes?.count ?? 0 : 1 }

    public struct MissingCluster: Error, CustomStringConvertible {
        public var description: String { "DOUYIN_TEST_REDIS_CLUSTER_NODES not set (run Scripts/test.sh)" }
    }
}
