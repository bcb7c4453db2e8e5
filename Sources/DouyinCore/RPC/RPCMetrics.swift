import Metrics

/// Prometheus series for RPC, per method: calls served and made, by outcome, and their latency.
enum RPCMetrics {
    static func served(method: String, code: Int32, duration: Duration) {
        let dimensions = [("method", method), ("code", String(code))]
        Counter(label: "douyin_rpc_server_requests_total", dimensions: dimensions).increment()
        Timer(label: "douyin_rpc_server_duration_seconds", dimensions: [("method", method)]).recordNanoseconds(duration.nanoseconds)
    }

    static func called(method: String, service: String, outcome: String, duration: Duration) {
        Counter(label: "douyin_rpc_client_requests_total", dimensions: [("method", method), ("service", service), ("outcome", outcome)]).increment()
        Timer(label: "douyin_rpc_client_duration_seconds", dimensions: [("method", method)]).recordNanoseconds(duration.nanoseconds)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
