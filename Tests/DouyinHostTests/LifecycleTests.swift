import DouyinHost
import DouyinModels
import DouyinTestSupport
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

/// Whatever ends a process, it closes what it opened: one path, `ServiceHost.serve`.
@Suite(.enabled(if: TestServers.enabled, TestServers.skipReason))
struct LifecycleTests {
    /// A host configured against the test servers, with `rpcPort` as its RPC port.
    func config(rpcPort: Int = 0) async throws -> DouyinConfig {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try await DouyinConfig.load(service: .chat, environment: [
            "DOUYIN_POSTGRES_URL": try await TestServers.makeDatabase(),
            "DOUYIN_REDIS_PORT": String(try TestServers.redisConfiguration().port),
            "DOUYIN_RPC_PORT": String(rpcPort),
            "DOUYIN_SQL_DIR": root.appendingPathComponent("manifest/sql").path,
            "DOUYIN_CONFIG_DIR": root.appendingPathComponent("manifest/config").path,
            "DOUYIN_LOG_LEVEL": "critical",
        ])
    }

    /// Starting fails at the RPC port (taken) after the database, Redis and a resource of
    /// the service's own were in use: every one of them is closed, and the error is the bind's.
    @Test func aStartUpFailureClosesEverythingItHadOpened() async throws {
        let taken = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { taken.close(promise: nil) }
        let seen = NIOLockedValueBox<ServiceHost?>(nil)
        let serviceClosed = NIOLockedValueBox(false)

        await #expect(throws: (any Error).self) {
            try await ServiceHost.serve(config: try await config(rpcPort: taken.localAddress!.port!), schema: "chat") { host in
                seen.withLockedValue { $0 = host }
                host.own("the service's pool") { serviceClosed.withLockedValue { $0 = true } }
                try await host.postgres!.query("SELECT 1")
                _ = try await host.redis.send("PING")
                #expect(host.postgres!.usage.open > 0 && host.redis.usage.open > 0)
                try await host.run(host.makeRouter())
            }
        }
        let host = try #require(seen.withLockedValue { $0 })
        #expect(host.openResources.isEmpty)
        #expect(serviceClosed.withLockedValue { $0 })
        #expect(host.postgres!.usage.open == 0)
        #expect(host.redis.usage.open == 0)
    }

    /// A service whose own set-up throws (a bad setting, say) closes what it and the host opened.
    @Test func aSetUpErrorClosesTooAndIsTheErrorReported() async throws {
        struct BadSetting: Error {}
        let seen = NIOLockedValueBox<ServiceHost?>(nil)
        await #expect(throws: BadSetting.self) {
            try await ServiceHost.serve(config: try await config(), schema: "chat") { host in
                seen.withLockedValue { $0 = host }
                _ = try await host.redis.send("PING")
                throw BadSetting()
            }
        }
        let host = try #require(seen.withLockedValue { $0 })
        #expect(host.openResources.isEmpty)
        #expect(host.redis.usage.open == 0)
        await #expect(throws: (any Error).self) { try await host.postgres!.query("SELECT 1") }
    }
}
