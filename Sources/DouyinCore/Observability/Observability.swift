import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import Prometheus

/// Process-wide logging and metrics, set up once before anything logs.
public enum Observability {
    private static let bootstrapped = NIOLockedValueBox(false)
    /// The registry `/metrics` renders.
    public static let prometheus = PrometheusCollectorRegistry()

    public static func bootstrap(level: String) {
        let first = bootstrapped.withLockedValue { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        let logLevel = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: logLevel) }
        // Lines still queued when the process exits are written first.
        atexit { LogWriter.standardOutput.flush() }
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))
    }
}
