import DouyinModels
import DouyinTestSupport
import Foundation
import Testing

extension EndToEnd {
    /// Readiness and metrics live on each process's admin listener; the public port
    /// tells the internet nothing about routes, rates or instance counts.
    @Suite struct AdminListenerTests {
        @Test func thePublicPortRevealsNoMetricsOrReadiness() async throws {
            try await Stack.with { stack in
                _ = try await stack.api.get("/douyin/feed/")
                for path in ["/metrics", "/readyz", "/metrics/", "/readyz?verbose=1"] {
                    for method in ["GET", "HEAD", "POST"] {
                        let reply = try await stack.api.send(.RAW(value: method), path, timeout: .seconds(5))
                        #expect(reply.status == 404, "\(method) \(path): \(reply.status)")
                        #expect(!reply.text.contains("douyin_") && !reply.text.contains("http_server"), "\(method) \(path): \(reply.text)")
                        if method != "HEAD" { #expect(reply.isCleanFailure, "\(method) \(path): \(reply.text)") }
                    }
                }
                // Liveness stays public (API.md 8.3): load balancers ask it.
                #expect(try await stack.api.get("/healthz").status == 200)
            }
        }

        @Test func everyProcessServesHealthReadinessAndMetricsOnItsAdminPort() async throws {
            try await Stack.with { stack in
                let account = try await stack.api.register("admin-port")
                _ = try await stack.api.get("/douyin/user/", [("user_id", account.idString), ("token", account.token)])
                for service in ServiceName.allCases {
                    let admin = APIClient(baseURL: try #require(await stack.adminURL(of: service.rawValue)))
                    #expect(try await admin.get("/healthz").isSuccess, "\(service)")
                    #expect(try await admin.get("/readyz").isSuccess, "\(service)")
                    let metrics = try await admin.get("/metrics")
                    #expect(metrics.status == 200 && metrics.text.contains("douyin_registry_instances"), "\(service)")
                    // Scrapes and probes are not API traffic.
                    #expect(!metrics.text.contains("/metrics") && !metrics.text.contains("/readyz"), "\(service)")
                    // Only those three: the API is not served here.
                    #expect(try await admin.get("/douyin/feed/").status == 404, "\(service)")
                }
                let gateway = try await APIClient(baseURL: try #require(await stack.adminURL(of: "gateway"))).get("/metrics").text
                #expect(gateway.contains("hb_requests{http_route=\"/douyin/user\""), "the API's requests are counted on the admin port")
            }
        }
    }
}
