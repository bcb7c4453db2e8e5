import AsyncHTTPClient
import DouyinHTTP
import DouyinModels
import DouyinObservability
import DouyinRPC
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// Forwards a public request to an instance of the owning service and streams the answer back.
///
/// API requests are buffered (their bodies are small forms) and sent as one RPC
/// call (`ForwardedHTTP`) on the gateway's multiplexed connection to the
/// service, so a request whose connection was refused can move to another
/// instance. Uploads and media stream through AsyncHTTPClient without buffering
/// and are never resent (`UpstreamProxy+Streaming.swift`).
struct UpstreamProxy: Sendable {
    /// Sends one buffered request to an instance of a service and returns its answer.
    typealias Forward = @Sendable (ServiceName, ForwardedHTTP.Request, _ isIdempotent: Bool) async throws -> ForwardedHTTP.Response

    let client: HTTPClient
    /// Per service: the buffered path's RPC client; the streaming paths pick with its balancer.
    let services: [ServiceName: RPCClient]
    let internalSecret: String?
    let streamingTimeout: Duration
    /// The buffered path's call: over `services` (tests pass their own).
    let send: Forward
    static let maxBufferedBody = 1 << 20

    init(
        client: HTTPClient, services: [ServiceName: RPCClient], internalSecret: String?, streamingTimeout: Duration,
        send: Forward? = nil
    ) {
        self.client = client
        self.services = services
        self.internalSecret = internalSecret
        self.streamingTimeout = streamingTimeout
        self.send = send ?? Self.overRPC(services)
    }

    /// One `ForwardedHTTP` call on the service's multiplexed RPC connection.
    static func overRPC(_ services: [ServiceName: RPCClient]) -> Forward {
        { service, request, isIdempotent in
            guard let rpc = services[service] else { throw DouyinError(.serviceUnavailable) }
            // Sized for the headers up front: growing from empty reallocates several times.
            var payload = ByteBufferAllocator().buffer(capacity: 1024 + request.body.readableBytes)
            request.write(to: &payload)
            var reply = try await rpc.call(name: ForwardedHTTP.method, payload: payload, isIdempotent: isIdempotent)
            return try ForwardedHTTP.Response(reading: &reply)
        }
    }

    /// An API request whose parameters fit in a form body (everything but uploads).
    func forward(
        _ request: Request, to service: ServiceName, identity: GatewayIdentity, context: DouyinRequestContext
    ) async throws -> Response {
        var request = request
        // No endpoint takes more than a form's worth of parameters; a larger body is refused
        // before anything is sent, and its rest is drained after the answer.
        if let length = request.declaredContentLength, length > Self.maxBufferedBody {
            throw DouyinError(.payloadTooLarge, "request body larger than \(Self.maxBufferedBody) bytes")
        }
        let body = try await request.collectCompleteBody(upTo: Self.maxBufferedBody)
        return try await exchange(request, body: body, service: service, identity: identity, context: context)
    }

    /// The buffered path: whole request out, whole answer back, as one RPC call.
    private func exchange(
        _ request: Request, body: ByteBuffer, service: ServiceName, identity: GatewayIdentity, context: DouyinRequestContext
    ) async throws -> Response {
        let (answer, _) = try await exchange(
            request.head, body: body, service: service, identity: identity, clientAddress: context.clientAddress, logger: context.logger
        )
        return Response(status: answer.status, headers: answer.headerFields, body: ResponseBody(byteBuffer: answer.body))
    }

    /// The buffered path on the parts of a request: its head and whole body. The
    /// answer's hop-by-hop and internal headers are gone (the versions it holds for
    /// come apart, for `AnswerCache`); the caller frames its body.
    func exchange(
        _ head: HTTPRequest, body: ByteBuffer, service: ServiceName, identity: GatewayIdentity, clientAddress: String?, logger: Logger
    ) async throws -> (answer: ForwardedHTTP.Response, validity: AnswerValidity?) {
        let forwarded = ForwardedHTTP.Request(
            method: head.method, path: head.path ?? "/",
            headerFields: forwardedHeaders(head, identity: identity, clientAddress: clientAddress), body: body
        )
        // A read cut off mid-flight may run again elsewhere; a write may not.
        let isIdempotent = head.method == .get || head.method == .head
        var answer: ForwardedHTTP.Response
        do {
            answer = try await send(service, forwarded, isIdempotent)
        } catch let error as DouyinError where error.code == .serviceUnavailable {
            logger.warning("upstream unavailable", metadata: ["service": "\(service.rawValue)", "error": "\(error.message)"])
            throw error
        }
        answer.headerFields = Self.withoutHopByHop(answer.headerFields)
        let validity = answer.headerFields[.douyinValidWhile].flatMap(AnswerValidity.init(headerValue:))
        answer.headerFields[.douyinValidWhile] = nil
        return (answer, validity)
    }

    /// The client's headers minus hop-by-hop and internal ones, plus what the service needs from us.
    func forwardedHeaders(_ request: Request, identity: GatewayIdentity, context: DouyinRequestContext) -> HTTPFields {
        forwardedHeaders(request.head, identity: identity, clientAddress: context.clientAddress)
    }

    func forwardedHeaders(_ head: HTTPRequest, identity: GatewayIdentity, clientAddress: String?) -> HTTPFields {
        var fields = HTTPFields()
        fields.reserveCapacity(head.headerFields.count + 6)
        for field in head.headerFields {
            let name = field.name.canonicalName
            guard !Self.hopByHop.contains(name), !name.hasPrefix(InternalHeader.prefix), name != "host" else { continue }
            fields.append(field)
        }
        if let host = head.authority { fields[.forwardedHost] = host }
        fields[.douyinClientAddress] = clientAddress ?? "unknown"
        if let scope = RPCCallContext.current {
            fields[.requestID] = scope.requestID
            fields[.traceparent] = scope.traceparent
        }
        if case .user(let id) = identity, let secret = internalSecret {
            fields[.douyinUserID] = String(id)
            fields[.douyinSecret] = secret
        }
        return fields
    }

    static func responseHeaders(_ headers: HTTPHeaders) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in headers {
            if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
        }
        return withoutHopByHop(fields)
    }

    private static func withoutHopByHop(_ fields: HTTPFields) -> HTTPFields {
        var fields = fields
        fields.removeAll { hopByHop.contains($0.name.canonicalName) }
        return fields
    }

    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
        "proxy-authenticate", "proxy-authorization", "expect",
    ]
}
