import DouyinObservability
import Metrics

/// Prometheus series for RPC, per method: calls served and made, by outcome, and their latency.
enum RPCMetrics {
    private struct Served: Hashable, Sendable {
        let method: String
        let code: Int32
    }

    private struct Called: Hashable, Sendable {
        let method: String
        let service: String
        let outcome: String
    }

    private static let servedCounters = MetricCache { (key: Served) in
        Counter(label: "douyin_rpc_server_requests_total", dimensions: [("method", key.method), ("code", String(key.code))])
    }
    private static let servedTimers = MetricCache { (method: String) in
        Timer(label: "douyin_rpc_server_duration_seconds", dimensions: [("method", method)])
    }
    private static let calledCounters = MetricCache { (key: Called) in
        Counter(
            label: "douyin_rpc_client_requests_total",
            dimensions: [("method", key.method), ("service", key.service), ("outcome", key.outcome)]
        )
    }
    private static let calledTimers = MetricCache { (method: String) in
        Timer(label: "douyin_rpc_client_duration_seconds", dimensions: [("method", method)])
    }

    static func served(method: String, code: Int32, duration: Duration) {
        servedCounters[Served(method: method, code: code)].increment()
        servedTimers[method].recordNanoseconds(duration.nanoseconds)
    }

    static func called(method: String, service: String, outcome: String, duration: Duration) {
        calledCounters[Called(method: method, service: service, outcome: outcome)].increment()
        calledTimers[method].recordNanoseconds(duration.nanoseconds)
    }
}
