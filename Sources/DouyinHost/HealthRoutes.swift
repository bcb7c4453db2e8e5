import DouyinHTTP
import DouyinModels
import DouyinObservability
import DouyinRPC
import Hummingbird
import Prometheus

/// `/healthz` (alive and not draining), `/readyz` (dependencies reachable) and `/metrics`.
public struct HealthRoutes: Sendable {
    let isDraining: @Sendable () -> Bool
    let checks: [@Sendable () async throws -> Void]
    /// Sets gauges that are read rather than counted (pool usage) just before a scrape.
    let beforeScrape: @Sendable () -> Void

    public init(
        isDraining: @escaping @Sendable () -> Bool, checks: [@Sendable () async throws -> Void],
        beforeScrape: @escaping @Sendable () -> Void = {}
    ) {
        self.isDraining = isDraining
        self.checks = checks
        self.beforeScrape = beforeScrape
    }

    /// All three: for the admin listener.
    public func add<Context: RequestContext>(to router: Router<Context>) {
        addLiveness(to: router)
        router.get("/readyz") { _, context -> Response in
            guard !isDraining() else { return .error(DouyinError(.serviceUnavailable, "shutting down")) }
            for check in checks {
                do {
                    try await check()
                } catch {
                    context.logger.warning("readiness check failed", metadata: ["error": "\(error)"])
                    return .error(DouyinError(.serviceUnavailable, "a dependency is unreachable"))
                }
            }
            return .json(StatusEnvelope(statusMessage: "ok"))
        }
        router.get("/metrics") { _, _ -> Response in
            beforeScrape()
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: .init(bytes: Observability.prometheus.emitToBuffer())))
        }
    }

    /// `/healthz` alone: "up, and not draining" is all it says, so a load balancer may ask
    /// it on a public port and stop sending to an instance as soon as it starts draining.
    public func addLiveness<Context: RequestContext>(to router: Router<Context>) {
        router.get("/healthz") { _, _ -> Response in
            isDraining() ? .error(DouyinError(.serviceUnavailable, "shutting down")) : .json(StatusEnvelope(statusMessage: "ok"))
        }
    }
}
