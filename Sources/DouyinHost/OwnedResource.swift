import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Something a process opened and must close once, whatever ends the process: a
/// connection pool, a client, a thread pool.
///
/// Each runs as a `Service` at the front of the process's `ServiceGroup`. The group
/// stops services in reverse order, so a resource closes only after everything that
/// used it has stopped. When the group never ran (a failure during start) or was
/// cancelled, `ServiceHost.serve` closes what is still open. Closing twice is a no-op.
final class OwnedResource: Service, Sendable {
    let name: String
    private let closer: NIOLockedValueBox<(@Sendable () async throws -> Void)?>
    private let logger: Logger

    init(_ name: String, logger: Logger, close: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.logger = logger
        self.closer = NIOLockedValueBox(close)
    }

    var isClosed: Bool { closer.withLockedValue { $0 == nil } }

    func run() async throws {
        // Returns at graceful shutdown, throws at cancellation: either way, close.
        try? await gracefulShutdown()
        await close()
    }

    func close() async {
        guard let close = closer.withLockedValue({ closer in defer { closer = nil }; return closer }) else { return }
        // Not under the caller's cancellation: a cancelled group must still close its pools.
        let closing = Task { try await close() }
        do {
            try await closing.value
        } catch {
            logger.warning("closing failed", metadata: ["resource": "\(name)", "error": "\(error)"])
        }
    }
}
