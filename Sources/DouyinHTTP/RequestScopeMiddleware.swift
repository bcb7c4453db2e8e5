import DouyinModels
import DouyinObservability
import DouyinRPC
import Foundation
import HTTPTypes
import Hummingbird

/// Gives each request its id, deadline and trace, for logs and for the RPCs it makes,
/// and writes one access-log line (and a span, when tracing is on) when it is answered.
/// It also settles who the client is (`ClientAddressRule`), for the limits and the log.
public struct RequestScopeMiddleware: RouterMiddleware {
    public typealias Context = DouyinRequestContext

    let timeout: Duration
    let accessLog: AccessLog
    let spans: SpanExporter?
    let clientAddress: ClientAddressRule

    public init(timeout: Duration, accessLog: AccessLog, spans: SpanExporter? = nil, clientAddress: ClientAddressRule = .behindGateway) {
        self.timeout = timeout
        self.accessLog = accessLog
        self.spans = spans
        self.clientAddress = clientAddress
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.clientAddress = clientAddress.clientAddress(of: request, peer: context.remoteAddress)
        let requestID = request.headers.value(of: .requestID).flatMap { $0.utf8.count <= 64 ? $0 : nil } ?? Self.newRequestID()
        // Continue the caller's trace, or start one; what this hop calls sees it as parent.
        let caller = TraceParent(request.headers.value(of: .traceparent))
        let trace = (caller ?? TraceParent.start(sampled: spans?.samplesNewTrace() ?? true)).child()
        let timer = RequestTimer()
        // Lines logged while serving get the ids from this scope (`Observability.requestIdentity`).
        // A request forwarded over RPC continues its caller's deadline (DESIGN.md 3): this
        // hop never works, nor makes its callees work, past the time the gateway waits.
        let ownDeadline = ContinuousClock.now + timeout
        let deadline = RPCCallContext.current?.deadline.map { min($0, ownDeadline) } ?? ownDeadline
        let scope = RPCCallContext(deadline: deadline, requestID: requestID, trace: trace)
        var response: Response
        do {
            response = try await RPCCallContext.$current.withValue(scope) {
                try await next(request, context)
            }
        } catch {
            recordSpan(request, status: 500, trace: trace, caller: caller, timer: timer, route: context.endpointPath)
            throw error
        }
        recordSpan(request, status: Int(response.status.code), trace: trace, caller: caller, timer: timer, route: context.endpointPath)
        response.headers[.requestID] = requestID
        accessLog.record(
            requestID: requestID, traceID: trace.traceID, method: request.method.rawValue, path: request.uri.path,
            client: context.clientAddress, status: response.status.code, duration: timer.elapsed
        )
        return response
    }

    private func recordSpan(_ request: Request, status: Int, trace: TraceParent, caller: TraceParent?, timer: RequestTimer, route: String?) {
        guard let spans, trace.isSampled else { return }
        let route = Self.route(of: request.uri.path, matched: route)
        spans.record(timer.finish(
            trace, parent: caller?.spanID, name: "\(request.method.telemetryName) \(route)",
            attributes: [
                ("http.request.method", .string(request.method.telemetryName)), ("http.route", .string(route)),
                ("url.path", .string(request.uri.path)), ("http.response.status_code", .int(status)),
            ],
            error: status >= 500 ? "HTTP \(status)" : nil
        ))
    }

    /// A low-cardinality name for the span: the API endpoint, the media prefix, or the matched route.
    static func route(of path: String, matched: String?) -> String {
        if let endpoint = Endpoint.at(path: path) { return endpoint.path }
        if path.hasPrefix(Endpoint.mediaPrefix) { return Endpoint.mediaPrefix + "{key}" }
        guard let matched, !matched.contains("*") else { return "unmatched" }
        return matched
    }

    static func newRequestID() -> String {
        IdentifierRandom.hex(words: 1)
    }
}
