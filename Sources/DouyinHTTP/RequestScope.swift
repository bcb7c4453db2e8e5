import DouyinModels
import DouyinObservability
import HTTPTypes

/// One request's id, trace and deadline, from its arrival to its answer: what
/// `RequestScopeMiddleware` sets up around a router, and what the gateway's
/// forwarding handler sets up around the requests it answers without one.
public struct RequestScope: Sendable {
    public let requestID: String
    /// The caller's trace, when it sent one; this hop's span is its child.
    let caller: TraceParent?
    let trace: TraceParent
    let timer = RequestTimer()
    /// What the RPCs made while serving see: the ids and the deadline.
    public let callContext: RPCCallContext

    /// - Parameter timeout: this hop's own limit; a deadline inherited from a caller may be sooner.
    public init(headers: HTTPFields, timeout: Duration, spans: SpanExporter?) {
        requestID = headers.value(of: .requestID).flatMap { $0.utf8.count <= 64 ? $0 : nil } ?? Self.newRequestID()
        // Continue the caller's trace, or start one; what this hop calls sees it as parent.
        caller = TraceParent(headers.value(of: .traceparent))
        trace = (caller ?? TraceParent.start(sampled: spans?.samplesNewTrace() ?? true)).child()
        // A request forwarded over RPC continues its caller's deadline (DESIGN.md 3): this
        // hop never works, nor makes its callees work, past the time the gateway waits.
        let ownDeadline = ContinuousClock.now + timeout
        let deadline = RPCCallContext.current?.deadline.map { min($0, ownDeadline) } ?? ownDeadline
        callContext = RPCCallContext(deadline: deadline, requestID: requestID, trace: trace)
    }

    /// How long the request has taken so far.
    public var elapsed: Duration { timer.elapsed }

    /// The access-log line and, when tracing is on, the span of the answered request.
    public func finish(
        method: HTTPRequest.Method, path: String, route: String?, client: String?, status: Int,
        accessLog: AccessLog, spans: SpanExporter?
    ) {
        recordSpan(method: method, path: path, route: route, status: status, spans: spans)
        accessLog.record(
            requestID: requestID, traceID: trace.traceID, method: method.rawValue, path: path,
            client: client, status: status, duration: timer.elapsed
        )
    }

    /// The span alone: a request that failed without an answer has no log line.
    public func recordSpan(method: HTTPRequest.Method, path: String, route: String?, status: Int, spans: SpanExporter?) {
        guard let spans, trace.isSampled else { return }
        let route = Self.route(of: path, matched: route)
        spans.record(timer.finish(
            trace, parent: caller?.spanID, name: "\(method.telemetryName) \(route)",
            attributes: [
                ("http.request.method", .string(method.telemetryName)), ("http.route", .string(route)),
                ("url.path", .string(path)), ("http.response.status_code", .int(status)),
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
