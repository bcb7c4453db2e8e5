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
    private let active = MetricCache { (method: HTTPRequest.Method) in
        Meter(label: "http.server.active_requests", dimensions: [("http.request.method", method.rawValue)])
    }

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let timer = RequestTimer()
        let active = active[request.method]
        active.increment()
        defer { active.decrement() }
        let status: HTTPResponse.Status
        do {
            let response = try await next(request, context)
            status = response.status
            endpoints[.init(route: context.endpointPath ?? "Unknown", method: request.method, status: status)]
                .record(timer.elapsed, failed: false)
            return response
        } catch {
            status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            endpoints[.init(route: context.endpointPath ?? "NotFound", method: request.method, status: status)]
                .record(timer.elapsed, failed: true)
            throw error
        }
    }
}

/// The series of one route, method and status.
private struct EndpointSeries: Sendable {
    struct Key: Hashable, Sendable {
        let route: String
        let method: HTTPRequest.Method
        let status: HTTPResponse.Status
    }

    let requests: Counter
    let errors: Counter
    let duration: Timer

    init(_ key: Key) {
        let labels = [
            ("http.route", key.route), ("http.request.method", key.method.rawValue),
            ("http.response.status_code", String(key.status.code)),
        ]
        requests = Counter(label: "hb.requests", dimensions: labels)
        duration = Timer(label: "http.server.request.duration", dimensions: labels, preferredDisplayUnit: .seconds)
        errors = Counter(label: "hb.request.errors", dimensions: [
            ("http.route", key.route), ("http.request.method", key.method.rawValue), ("error.type", String(key.status.code)),
        ])
    }

    func record(_ elapsed: Duration, failed: Bool) {
        requests.increment()
        if failed { errors.increment() }
        duration.recordNanoseconds(elapsed.nanoseconds)
    }
}
