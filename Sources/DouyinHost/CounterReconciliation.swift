import DouyinPostgres
import Logging
import ServiceLifecycle

/// Runs a `CounterReconciler` pass every `reconcile.interval_seconds` (default 600; 0 = never),
/// the first after a random part of the interval so instances started together do not
/// all try at once. Stops with the process.
struct CounterReconciliationService: Service, CustomStringConvertible {
    let reconciler: CounterReconciler
    let interval: Duration
    let logger: Logger

    var description: String { "counter reconciliation every \(interval)" }

    func run() async throws {
        // Off: still a service of the group until shutdown (one that ends early stops the process).
        guard interval > .zero else {
            try? await gracefulShutdown()
            return
        }
        let first = interval * Double.random(in: 0.1...1)
        await cancelWhenGracefulShutdown {
            var wait = first
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: wait)
                } catch {
                    return
                }
                wait = interval
                do {
                    if let repairs = try await reconciler.pass(), !repairs.isEmpty {
                        logger.warning("counters repaired", metadata: ["repairs": "\(repairs.count)"])
                    }
                } catch {
                    logger.warning("counter reconciliation failed; trying again next interval", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}

extension ServiceHost {
    /// The service that keeps this process's counters honest (run it with `extraServices`).
    /// - Parameter lockKey: the service's own advisory lock key: one reconciler per service at a time.
    public func counterReconciliation(checks: [CounterCheck], lockKey: Int64) throws -> some Service {
        let settings = config.settings
        let reconciler = CounterReconciler(
            db: try database(), checks: checks,
            batchSize: try settings.int("reconcile.batch_size", default: 1000, in: 1...100_000),
            lockKey: lockKey, logger: logger
        )
        return CounterReconciliationService(
            reconciler: reconciler,
            interval: .seconds(try settings.int("reconcile.interval_seconds", default: 600, in: 0...86_400 * 7)),
            logger: logger
        )
    }
}
