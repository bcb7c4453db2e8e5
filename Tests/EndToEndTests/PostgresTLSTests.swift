import DouyinPostgres
import DouyinTestSupport
import Foundation
import Logging
import Testing

extension EndToEnd {
    /// Every stack of these tests reaches PostgreSQL over TLS with `verify-full` (see
    /// `Stack.start`); here, the settings an operator can get wrong stop the start.
    @Suite(.enabled(if: TestServers.tlsEnabled, TestServers.tlsSkipReason))
    struct PostgresTLSTests {
        @Test func theStacksReachPostgreSQLVerified() async throws {
            try await Stack.with { stack in
                #expect(try await stack.api.register("ann").id > 0)
                let db = PostgresClient(.init(conninfo: stack.databaseURL, maxConnections: 1), logger: Logger(label: "test"))
                defer { Task { await db.shutdown() } }
                let services = try await db.query("""
                    SELECT count(*), coalesce(bool_and(s.ssl), false) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
                    WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
                    """).first!.decode(Int64.self, Bool.self)
                #expect(services.0 >= 4 && services.1, "the services' connections: \(services.0), all encrypted: \(services.1)")
            }
        }

        /// A CA that did not sign the server's certificate: the process stops at once,
        /// naming the settings and what libpq said, instead of retrying the migrations.
        @Test func aWrongCAStopsTheStartNamingTheSetting() async throws {
            let server = try TestServers.requirePostgresTLS()
            let redis = try await RedisServerProcess.start(arguments: [], admin: nil)
            defer { redis.stop() }
            let attempt = try await StartAttempt.run(.video, environment: [
                "DOUYIN_POSTGRES_URL": try await TestServers.makeDatabase(),
                "DOUYIN_POSTGRES_SSLMODE": "verify-full",
                "DOUYIN_POSTGRES_SSL_ROOT_CERT": server.otherCA,
                "DOUYIN_REDIS_PORT": String(redis.port),
            ], wait: .seconds(10))
            #expect(attempt.status == 1, "still running (nil): retrying instead of stopping")
            #expect(attempt.output.contains("DOUYIN_POSTGRES_SSL_ROOT_CERT"), "\(attempt.output.suffix(600))")
            #expect(attempt.output.contains("certificate verify failed"), "\(attempt.output.suffix(600))")
        }

        /// A CA file that is not there is found before anything connects.
        @Test func aMissingCAFileStopsTheStartNamingTheSetting() async throws {
            let attempt = try await StartAttempt.run(.chat, environment: [
                "DOUYIN_POSTGRES_SSLMODE": "verify-full",
                "DOUYIN_POSTGRES_SSL_ROOT_CERT": "/nonexistent/douyin-ca.crt",
            ], wait: .seconds(10))
            #expect(attempt.status == 1)
            #expect(attempt.output.contains("DOUYIN_POSTGRES_SSL_ROOT_CERT") && attempt.output.contains("/nonexistent/douyin-ca.crt"))
        }
    }
}
