import DouyinHTTP
import Hummingbird
import Logging
import ServiceLifecycle

extension ServiceHost {
    /// `/healthz`, `/readyz` and `/metrics` on a listener of their own (`DOUYIN_ADMIN_HOST`,
    /// `DOUYIN_ADMIN_PORT`), for probes and Prometheus: the public port does not tell the
    /// internet every route's rates and the instance counts. Nothing else is served here,
    /// and what is served here is not counted as API traffic.
    func adminListener() -> some Service {
        let router = Router(context: DouyinRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        healthRoutes.add(to: router)
        let logger = self.logger
        let host = config.adminHost
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: config.adminPort), serverName: nil),
            onServerRunning: { channel in
                logger.info("admin listener (health, readiness, metrics)", metadata: [
                    "address": "\(host):\(channel.localAddress?.port ?? 0)",
                ])
            },
            logger: logger
        )
    }
}
