import Hummingbird
import Metrics
import NIOConcurrencyHelpers

/// Counts requests and their latency per route, method and status, under the
/// series names of Hummingbird's `MetricsMiddleware` (the dashboards read those).
///
/// Unlike that middleware it records when the response is ready instead of
/// wrapping the body to record after it is written: a wrapped body is written
/// head first and body second, one more socket write per response. So the
/// duration of a streamed body (uploads, media) stops at its first byte.
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    private let series = SeriesCache()

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let timer = RequestTimer()
        let active = series.active(request.method)
        active.increment()
        defer { active.decrement() }
        let status: HTTPResponse.Status
        do {
            let response = try await next(request, context)
            status = response.status
            series.endpoint(context.endpointPath ?? "Unknown", request.method, status).record(timer.elapsed, failed: false)
            return response
        } catch {
            status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            series.endpoint(context.endpointPath ?? "NotFound", request.method, status).record(timer.elapsed, failed: true)
            throw error
        }
    }
}

/// The metric objects per label set, made once: a factory lookup per request costs more.
private final class SeriesCache: Sendable {
    struct EndpointKey: Hashable {
        let route: String
        let method: HTTPRequest.Method
        let status: HTTPResponse.Status
    }

    struct EndpointSeries: Sendable {
        let requests: Counter
        let errors: Counter
        let duration: Timer

        init(_ key: EndpointKey) {
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

    private let endpoints = NIOLockedValueBox<[EndpointKey: EndpointSeries]>([:])
    private let methods = NIOLockedValueBox<[HTTPRequest.Method: Meter]>([:])

    func endpoint(_ route: String, _ method: HTTPRequest.Method, _ status: HTTPResponse.Status) -> EndpointSeries {
        let key = EndpointKey(route: route, method: method, status: status)
        return endpoints.withLockedValue { cache in
            if let series = cache[key] { return series }
            let series = EndpointSeries(key)
            cache[key] = series
            return series
        }
    }

    func active(_ method: HTTPRequest.Method) -> Meter {
        methods.withLockedValue { cache in
            if let meter = cache[method] { return meter }
            let meter = Meter(label: "http.server.active_requests", dimensions: [("http.request.method", method.rawValue)])
            cache[method] = meter
            return meter
        }
    }
}
