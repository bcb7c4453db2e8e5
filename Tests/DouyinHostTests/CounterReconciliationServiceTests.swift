@testable import DouyinHost
import DouyinPostgres
import Logging
import ServiceLifecycle
import Testing

/// The reconciliation's place in the process's service group.
struct CounterReconciliationServiceTests {
    /// Turned off (`DOUYIN_RECONCILE_INTERVAL_SECONDS=0`), it must still last until
    /// shutdown: a service that ends early makes the group stop the whole process.
    @Test func switchedOffItStaysUntilShutdown() async throws {
        let logger = Logger(label: "test")
        let unused = PostgresClient(.init(conninfo: "postgresql://nobody@127.0.0.1:1/none"), logger: logger)
        let service = CounterReconciliationService(
            reconciler: CounterReconciler(db: unused, checks: [], lockKey: 1, logger: logger), interval: .zero, logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [service], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: .milliseconds(200))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        await unused.shutdown()
    }
}
