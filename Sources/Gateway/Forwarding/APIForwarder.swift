import DouyinHTTP
import DouyinModels
import DouyinObservability
import DouyinRPC
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Answers one buffered API request from its head and body: what the router's
/// middleware (scope, metrics, errors, admission) and `GatewayRoutes` do for
/// such a request, for `APIForwardingHandler`, which serves it without the router.
struct APIForwarder: Sendable {
    let authenticator: GatewayAuthenticator
    let proxy: UpstreamProxy
    let admission: Admission
    let clientAddress: ClientAddressRule
    let timeout: Duration
    let accessLog: AccessLog
    let spans: SpanExporter?
    let metrics: HTTPServerMetrics
    let answers: AnswerCache?
    let logger: Logger

    /// Bodies larger than a form's are left to the router, which streams and bounds them.
    static let maxBody = 64 << 10

    /// The endpoint of a request this forwarder answers: a form endpoint (not an upload,
    /// not the chat socket) whose body is absent or of a declared, form-sized length.
    /// Anything else (media, uploads, unknown paths, chunked bodies) goes to the router.
    static func endpoint(taking head: HTTPRequest) -> Endpoint? {
        guard let target = head.path else { return nil }
        guard case .endpoint(let endpoint) = Endpoint.route(path: split(target).path, method: head.method.rawValue), endpoint.body == .form,
            head.headerFields[.transferEncoding] == nil
        else { return nil }
        if let length = head.headerFields[.contentLength] {
            guard let length = Int(length), (0...maxBody).contains(length) else { return nil }
        }
        return endpoint
    }

    /// The answer, whatever happens: a failure is the contract's error envelope.
    /// - Parameter peer: the address of the connection's other end.
    func answer(_ head: HTTPRequest, body: ByteBuffer, endpoint: Endpoint, peer: String?) async -> ForwardedHTTP.Response {
        let (path, query) = Self.split(head.path ?? "/")
        let client = clientAddress.clientAddress(headers: head.headerFields, peer: peer)
        let scope = RequestScope(headers: head.headerFields, timeout: timeout, spans: spans)
        let active = metrics.started(head.method)
        defer { active.decrement() }
        var answer: ForwardedHTTP.Response
        if let refusal = admission.enter(client: client) {
            answer = Self.answer(refusal)
        } else {
            defer { admission.leave() }
            answer = await RPCCallContext.$current.withValue(scope.callContext) {
                do {
                    let identity = try await authenticator.authenticate(
                        query: query, authorization: head.headerFields[.authorization],
                        contentType: head.headerFields[.contentType], endpoint: endpoint
                    )
                    let key = answers == nil ? nil : AnswerCache.key(head, body: body, identity: identity)
                    if let key, let repeated = await answers?.answer(for: key) { return repeated }
                    let (answer, validity) = try await proxy.exchange(
                        head, body: body, service: endpoint.service, identity: identity, clientAddress: client, logger: logger
                    )
                    if let key { answers?.remember(answer, validity: validity, for: key) }
                    return answer
                } catch {
                    return Self.answer(FailureReport.envelope(for: error, logger: logger))
                }
            }
        }
        answer.headerFields[.requestID] = scope.requestID
        metrics.answered(route: Self.metricRoutes[endpoint.path] ?? endpoint.path, method: head.method, status: answer.status, after: scope.elapsed)
        scope.finish(
            method: head.method, path: path, route: endpoint.path, client: client, status: Int(answer.status.code),
            accessLog: accessLog, spans: spans
        )
        return answer
    }

    /// The route labels the router gives the same requests (`/douyin/user`, no last slash):
    /// one series per endpoint, whichever path served it.
    static let metricRoutes = Dictionary(Endpoint.all.map { ($0.path, RouterPath($0.path).description) }) { first, _ in first }

    static func answer(_ error: DouyinError) -> ForwardedHTTP.Response {
        let parts = error.answer
        return ForwardedHTTP.Response(status: parts.status, headerFields: parts.headers, body: parts.body)
    }

    /// A request target's path and query (without the `?`).
    static func split(_ target: String) -> (path: String, query: String?) {
        guard let mark = target.firstIndex(of: "?") else { return (target, nil) }
        return (String(target[..<mark]), String(target[target.index(after: mark)...]))
    }
}
