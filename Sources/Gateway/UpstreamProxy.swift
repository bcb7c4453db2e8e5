import AsyncHTTPClient
import DouyinCore
import DouyinModels
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// Forwards a public request to an instance of the owning service and streams the answer back.
///
/// Small bodies are buffered and sent as one RPC call (`ForwardedHTTP`) on the
/// gateway's multiplexed connection to the service, so a request whose
/// connection was refused can move to another instance; large bodies (uploads)
/// and media stream through AsyncHTTPClient without buffering and are never resent.
struct UpstreamProxy: Sendable {
    let client: HTTPClient
    /// Per service: the buffered path's RPC client; the streaming path picks with its balancer.
    let services: [ServiceName: RPCClient]
    let internalSecret: String?
    let streamingTimeout: Duration
    static let maxBufferedBody = 1 << 20

    func forward(
        _ request: Request, to service: ServiceName, identity: GatewayIdentity, context: DouyinRequestContext, streams: Bool
    ) async throws -> Response {
        guard let rpc = services[service] else { throw DouyinError(.serviceUnavailable) }
        let contentLength = request.headers.value(of: .contentLength).flatMap(Int.init)
        if !streams, contentLength ?? 0 <= Self.maxBufferedBody {
            var request = request
            let body = try await request.collectBody(upTo: Self.maxBufferedBody)
            return try await exchange(request, body: body, rpc: rpc, identity: identity, context: context)
        }
        return try await stream(request, contentLength: contentLength, balancer: rpc.balancer, identity: identity, context: context)
    }

    /// The streaming path: bodies flow through in both directions; one instance, one attempt,
    /// since a body stream that has started cannot be sent again.
    private func stream(
        _ request: Request, contentLength: Int?, balancer: LoadBalancer, identity: GatewayIdentity, context: DouyinRequestContext
    ) async throws -> Response {
        let service = balancer.service.rawValue
        guard let instance = await balancer.pick() else { throw DouyinError(.serviceUnavailable, "\(service) service unavailable") }
        var upstream = HTTPClientRequest(url: "http://\(instance.host):\(instance.httpPort)\(request.uri.string)")
        upstream.method = .init(rawValue: request.method.rawValue)
        upstream.headers = HTTPHeaders(forwardedHeaders(request, identity: identity, context: context).map { ($0.name.rawName, $0.value) })
        upstream.body = .stream(request.body, length: contentLength.map { .known(Int64($0)) } ?? .unknown)
        let deadline = NIODeadline.now() + .nanoseconds(Int64(streamingTimeout.components.seconds) * 1_000_000_000)
        balancer.begin(instance.id)
        defer { balancer.end(instance.id) }
        do {
            let response = try await client.execute(upstream, deadline: deadline, logger: context.logger)
            balancer.succeeded(instance.id)
            return Response(
                status: .init(code: Int(response.status.code)),
                headers: Self.responseHeaders(response.headers),
                body: ResponseBody(asyncSequence: response.body)
            )
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw DouyinError(.deadlineExceeded)
        } catch {
            balancer.eject(instance.id)
            context.logger.warning("upstream failed", metadata: ["service": "\(service)", "error": "\(error)"])
            throw DouyinError(.serviceUnavailable, "\(service) service unavailable")
        }
    }

    /// The buffered path: whole request out, whole answer back, as one RPC call.
    private func exchange(
        _ request: Request, body: ByteBuffer, rpc: RPCClient, identity: GatewayIdentity, context: DouyinRequestContext
    ) async throws -> Response {
        // Sized for the headers up front: growing from empty reallocates several times.
        var payload = ByteBufferAllocator().buffer(capacity: 1024 + body.readableBytes)
        ForwardedHTTP.Request(
            method: request.method, path: request.uri.string,
            headerFields: forwardedHeaders(request, identity: identity, context: context), body: body
        ).write(to: &payload)
        // A read cut off mid-flight may run again elsewhere; a write may not.
        let isIdempotent = request.method == .get || request.method == .head
        var reply: ByteBuffer
        do {
            reply = try await rpc.call(name: ForwardedHTTP.method, payload: payload, isIdempotent: isIdempotent)
        } catch let error as DouyinError where error.code == .serviceUnavailable {
            context.logger.warning("upstream unavailable", metadata: ["service": "\(rpc.service.rawValue)", "error": "\(error.message)"])
            throw error
        }
        let answer = try ForwardedHTTP.Response(reading: &reply)
        return Response(
            status: answer.status,
            headers: Self.withoutHopByHop(answer.headerFields),
            body: ResponseBody(byteBuffer: answer.body)
        )
    }

    /// The client's headers minus hop-by-hop and internal ones, plus what the service needs from us.
    private func forwardedHeaders(_ request: Request, identity: GatewayIdentity, context: DouyinRequestContext) -> HTTPFields {
        var fields = HTTPFields()
        fields.reserveCapacity(request.headers.count + 6)
        for field in request.headers {
            let name = field.name.canonicalName
            guard !Self.hopByHop.contains(name), !name.hasPrefix(InternalHeader.prefix), name != "host" else { continue }
            fields.append(field)
        }
        if let host = request.head.authority { fields[Self.forwardedHost] = host }
        fields[Self.clientAddress] = context.remoteAddress ?? "unknown"
        if let scope = RPCCallContext.current {
            fields[Self.requestID] = scope.requestID
            fields[Self.traceparent] = scope.traceparent
        }
        if case .user(let id) = identity, let secret = internalSecret {
            fields[Self.userID] = String(id)
            fields[Self.secret] = secret
        }
        return fields
    }

    private static func responseHeaders(_ headers: HTTPHeaders) -> HTTPFields {
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

    private static let forwardedHost = HTTPField.Name("x-forwarded-host")!
    private static let clientAddress = HTTPField.Name(InternalHeader.clientAddress)!
    private static let requestID = HTTPField.Name(InternalHeader.requestID)!
    private static let traceparent = HTTPField.Name("traceparent")!
    private static let userID = HTTPField.Name(InternalHeader.userID)!
    private static let secret = HTTPField.Name(InternalHeader.secret)!

    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
        "proxy-authenticate", "proxy-authorization", "expect",
    ]
}
