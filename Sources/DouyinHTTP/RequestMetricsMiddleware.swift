import DouyinObservability
import Hummingbird
import Metrics

/// Counts requests and their latency per route, method and status, under the
/// series names of Hummingbird's `MetricsMiddleware` (the dashboards read those).
///
/// Unlike that middleware it records when the response is ready instead of
/// wrapping the body to record after it is written: a wrapped body is written
/// head first and body second, one more socket write per response. So the
/// duration of a streamed body (uploads, media) stops at its first byte.
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    private let endpoints = MetricCache(EndpointSeries.init)
    private let active = MetricCache { (method: String) in
        Meter(label: "http.server.active_requests", dimensions: [("http.request.method", method)])
    }

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let timer = RequestTimer()
        let method = request.method.telemetryName
        let active = active[method]
        active.increment()
        defer { active.decrement() }
        let status: HTTPResponse.Status
        do {
            let response = try await next(request, context)
            status = response.status
            endpoints[.init(route: context.endpointPath ?? "Unknown", method: method, status: status)]
                .record(timer.elapsed, failed: false)
            return response
        } catch {
            status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            endpoints[.init(route: context.endpointPath ?? "NotFound", method: method, status: status)]
                .record(timer.elapsed, failed: true)
            throw error
        }
    }

}

/// The series of one route, method and status.
private struct EndpointSeries: Sendable {
    struct Key: Hashable, Sendable {
        let route: String
        let method: String
        let status: HTTPResponse.Status
    }

    let requests: Counter
    let errors: Counter
    let duration: Timer

    init(_ key: Key) {
        let labels = [
            ("http.route", key.route), ("http.request.method", key.method),
            ("http.response.status_code", String(key.status.code)),
        ]
        requests = Counter(label: "hb.requests", dimensions: labels)
        duration = Timer(label: "http.server.request.duration", dimensions: labels, preferredDisplayUnit: .seconds)
        errors = Counter(label: "hb.request.errors", dimensions: [
            ("http.route", key.route), ("http.request.method", key.method), ("error.type", String(key.status.code)),
        ])
    }

    func record(_ elapsed: Duration, failed: Bool) {
        requests.increment()
        if failed { errors.increment() }
        duration.recordNanoseconds(elapsed.nanoseconds)
    }
}

extension HTTPRequest.Method {
    /// The method as a metric label or span name: any client may send a method of its
    /// own making, and each new value would be a new series kept for the life of the
    /// process. Others are `_OTHER`, as OpenTelemetry's conventions name them.
    var telemetryName: String {
        switch self {
        case .get, .head, .post, .put, .delete, .connect, .options, .trace, .patch: rawValue
        default: "_OTHER"
        }
    }
}
