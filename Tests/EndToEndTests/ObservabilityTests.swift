import AsyncHTTPClient
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
                    #expect(await stack.logs(name, contain: marker), "\(name) did not log the trace id")
                }
            }
        }

        /// With an OTLP endpoint configured, one request's spans form one tree:
        /// the caller's span -> gateway -> user service -> its `video.userStats` RPC.
        @Test func spansOfOneRequestReachTheCollectorAsOneTree() async throws {
            let collector = try await OTLPCollector()
            let environment = ["DOUYIN_OTLP_ENDPOINT": collector.url, "DOUYIN_OTLP_FLUSH_INTERVAL_MS": "100"]
            try await Stack.with(environment: environment) { stack in
                let account = try await stack.api.register("spanned")
                let traceID = "5bf92f3577b34da6a3ce929d0e0e4736"
                let reply = try await stack.api.get(
                    "/douyin/user/", [("user_id", account.idString), ("token", account.token)],
                    headers: [("traceparent", "00-\(traceID)-00f067aa0ba902b7-01")]
                )
                #expect(reply.isSuccess)
                let spans = try await collector.wait { spans in
                    Set(spans.filter { $0.traceID == traceID }.map(\.service)).isSuperset(of: ["douyin-gateway", "douyin-user", "douyin-video"])
                }.filter { $0.traceID == traceID }
                let gateway = try #require(spans.first { $0.service == "douyin-gateway" })
                let user = try #require(spans.first { $0.service == "douyin-user" })
                let stats = try #require(spans.first { $0.service == "douyin-video" })
                #expect(gateway.name == "GET /douyin/user/" && gateway.parentSpanID == "00f067aa0ba902b7")
                #expect(user.name == "GET /douyin/user/" && user.parentSpanID == gateway.spanID)
                #expect(stats.name == "video.userStats" && stats.parentSpanID == user.spanID)
                #expect(gateway.start <= user.start && user.end <= gateway.end)
                #expect(gateway.attributes["http.response.status_code"] == "200")
                // Registration started its own trace at the gateway: recorded too, under another id.
                #expect(collector.received.contains { $0.name == "POST /douyin/user/register/" && $0.traceID != traceID })
            }
        }

        @Test func servicesExposeRPCAndPoolMetrics() async throws {
            try await Stack.with { stack in
                let account = try await stack.api.register("metered")
                _ = try await stack.api.get("/douyin/user/", [("user_id", account.idString), ("token", account.token)])
                let admin = try #require(await stack.adminURL(of: "user"))
                let metrics = try await APIClient(baseURL: admin).get("/metrics").text
                for series in [
                    "douyin_rpc_server_requests_total", "douyin_rpc_client_requests_total", "douyin_pool_connections",
                    "http_server_request_duration", "douyin_registry_instances{service=\"video\"} 1",
                ] {
                    #expect(metrics.contains(series), "\(series) missing")
                }
                let ready = try await APIClient(baseURL: admin).get("/readyz")
                #expect(ready.status == 200)
            }
        }

        /// Methods outside HTTP's usual set are answered and counted as `_OTHER`: each
        /// name as a label would be a series kept for the life of the process. A method no
        /// HTTP parser knows gets the JSON error too, even as a connection's first request.
        @Test func unusualMethodsShareOneMetricLabel() async throws {
            try await Stack.with { stack in
                for method in ["PURGE", "PROPFIND"] {
                    let reply = try await stack.api.send(.RAW(value: method), "/douyin/feed/", timeout: .seconds(5))
                    #expect(reply.status == 405 && (reply.json["status_code"] as? Int ?? 0) != 0, "\(method)")
                }
                // On a connection of its own, so that it is the connection's first request.
                let client = HTTPClient(eventLoopGroupProvider: .singleton)
                var request = HTTPClientRequest(url: stack.api.baseURL + "/douyin/feed/")
                request.method = .RAW(value: "PURGEX1")
                let response = try await client.execute(request, timeout: .seconds(5))
                let body = try await response.body.collect(upTo: 1 << 16)
                try await client.shutdown()
                #expect(response.status.code == 400)
                #expect(String(buffer: body).contains("\"status_code\":10001"))
                let metrics = try await APIClient(baseURL: try #require(await stack.adminURL(of: "gateway"))).get("/metrics").text
                #expect(!metrics.contains("PURGE") && !metrics.contains("PROPFIND"))
                #expect(metrics.contains("http_request_method=\"_OTHER\""))
            }
        }
    }
}
