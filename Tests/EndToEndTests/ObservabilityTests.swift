import DouyinTestSupport
import Foundation
import Testing

extension EndToEnd {
    /// Traces and metrics an operator relies on.
    @Suite struct ObservabilityTests {
        @Test func oneTraceIDAcrossGatewayAndService() async throws {
            try await Stack.with { stack in
                let api = stack.api
                let account = try await api.register("tracer")
                let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
                let reply = try await api.get(
                    "/douyin/user/", [("user_id", account.idString), ("token", account.token)],
                    headers: [("traceparent", "00-\(traceID)-00f067aa0ba902b7-01")]
                )
                #expect(reply.isSuccess)
                let marker = "\"trace_id\":\"\(traceID)\""
                for name in ["gateway", "user"] {
                    #expect(stack.log(of: name).contains(marker), "\(name) did not log the trace id")
                }
            }
        }

        @Test func servicesExposeRPCAndPoolMetrics() async throws {
            try await Stack.with { stack in
                let account = try await stack.api.register("metered")
                _ = try await stack.api.get("/douyin/user/", [("user_id", account.idString), ("token", account.token)])
                let port = try #require(try await stack.httpPorts(of: .user).first)
                let metrics = try await APIClient(baseURL: "http://127.0.0.1:\(port)").get("/metrics").text
                for series in ["douyin_rpc_server_requests_total", "douyin_rpc_client_requests_total", "douyin_pool_connections", "http_server_request_duration"] {
                    #expect(metrics.contains(series), "\(series) missing")
                }
                let ready = try await APIClient(baseURL: "http://127.0.0.1:\(port)").get("/readyz")
                #expect(ready.status == 200)
            }
        }
    }
}
