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
    private let metrics = HTTPServerMetrics()

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let timer = RequestTimer()
        let method = request.method
        let active = metrics.started(method)
        defer { active.decrement() }
        do {
            let response = try await next(request, context)
            metrics.answered(route: context.endpointPath ?? "Unknown", method: method, status: response.status, after: timer.elapsed)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            metrics.failed(route: context.endpointPath ?? "NotFound", method: method, status: status, after: timer.elapsed)
            throw error
        }
    }
}

/// The request series of one HTTP server, by route, method and status.
public struct HTTPServerMetrics: Sendable {
    private let endpoints = MetricCache(EndpointSeries.init)
    private let active = MetricCache { (method: String) in
        Meter(label: "http.server.active_requests", dimensions: [("http.request.method", method)])
    }

    public init() {}

    /// Counts the request as active; decrement the meter when it is answered.
    public func started(_ method: HTTPRequest.Method) -> Meter {
        let meter = active[method.telemetryName]
        meter.increment()
        return meter
    }

    /// A request answered (whatever its status).
    public func answered(route: String, method: HTTPRequest.Method, status: HTTPResponse.Status, after elapsed: Duration) {
        endpoints[.init(route: route, method: method.telemetryName, status: status)].record(elapsed, failed: false)
    }

    /// A request whose handler threw instead of answering.
    public func failed(route: String, method: HTTPRequest.Method, status: HTTPResponse.Status, after elapsed: Duration) {
        endpoints[.init(route: route, method: method.telemetryName, status: status)].record(elapsed, failed: true)
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
