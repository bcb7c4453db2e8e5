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

    /// The request id and trace id of the request or RPC being served, on every
    /// line logged while serving it. Read from the task-local call context only
    /// when a line is written, so a request that logs nothing pays nothing.
    static let requestIdentity = Logger.MetadataProvider {
        guard let call = RPCCallContext.current else { return [:] }
        return ["request_id": .string(call.requestID), "trace_id": .string(call.traceID)]
    }

    public static func bootstrap(level: String) {
        let first = bootstrapped.withLockedValue { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        let logLevel = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap(
            { label, provider in JSONLogHandler(label: label, level: logLevel, metadataProvider: provider) },
            metadataProvider: requestIdentity
        )
        // Lines still queued when the process exits are written first.
        atexit { LogWriter.standardOutput.flush() }
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))
    }
}
