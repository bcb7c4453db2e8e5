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
/// Small bodies are buffered and exchanged over the gateway's own keep-alive
/// connections, so a request whose connection was refused can move to another
/// instance; large bodies (uploads) and media stream through AsyncHTTPClient
/// without buffering and are never resent.
struct UpstreamProxy: Sendable {
    let client: HTTPClient
    let connections: UpstreamConnections
    let balancers: [ServiceName: LoadBalancer]
    let internalSecret: String?
    let requestTimeout: Duration
    let streamingTimeout: Duration
    static let maxBufferedBody = 1 << 20

    func forward(
        _ request: Request, to service: ServiceName, identity: GatewayIdentity, context: DouyinRequestContext, streams: Bool
    ) async throws -> Response {
        guard let balancer = balancers[service] else { throw DouyinError(.serviceUnavailable) }
        let contentLength = request.headers[.contentLength].flatMap(Int.init)
        if !streams, contentLength ?? 0 <= Self.maxBufferedBody {
            var request = request
            let body = try await request.collectBody(upTo: Self.maxBufferedBody)
            return try await exchange(request, body: body, balancer: balancer, identity: identity, context: context)
        }
        return try await stream(request, contentLength: contentLength, balancer: balancer, identity: identity, context: context)
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
        upstream.headers = forwardedHeaders(request, identity: identity, context: context)
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

    /// The buffered path: whole request out, whole answer back, over a pooled connection.
    private func exchange(
        _ request: Request, body: ByteBuffer, balancer: LoadBalancer, identity: GatewayIdentity, context: DouyinRequestContext
    ) async throws -> Response {
        var headers = forwardedHeaders(request, identity: identity, context: context)
        headers.remove(name: "transfer-encoding")
        headers.replaceOrAdd(name: "content-length", value: String(body.readableBytes))
        let timeout = TimeAmount.nanoseconds(Int64(requestTimeout.components.seconds) * 1_000_000_000
            + requestTimeout.components.attoseconds / 1_000_000_000)
        var tried: Set<String> = []
        while let instance = await balancer.pick(excluding: tried) {
            tried.insert(instance.id)
            headers.replaceOrAdd(name: "host", value: "\(instance.host):\(instance.httpPort)")
            let head = HTTPRequestHead(version: .http1_1, method: .init(rawValue: request.method.rawValue), uri: request.uri.string, headers: headers)
            balancer.begin(instance.id)
            defer { balancer.end(instance.id) }
            do {
                let (answerHead, answerBody) = try await connections.exchange(
                    .init(head: head, body: body), host: instance.host, port: instance.httpPort, timeout: timeout
                )
                balancer.succeeded(instance.id)
                return Response(
                    status: .init(code: Int(answerHead.status.code)),
                    headers: Self.responseHeaders(answerHead.headers),
                    body: ResponseBody(byteBuffer: answerBody)
                )
            } catch UpstreamConnections.Failure.notSent(let error) {
                balancer.eject(instance.id)
                context.logger.warning(
                    "upstream unreachable",
                    metadata: ["service": "\(balancer.service.rawValue)", "instance": "\(instance.id)", "error": "\(error)"]
                )
            } catch UpstreamConnections.Failure.timedOut {
                throw DouyinError(.deadlineExceeded)
            } catch {
                balancer.eject(instance.id)
                context.logger.warning("upstream failed", metadata: ["service": "\(balancer.service.rawValue)", "error": "\(error)"])
                throw DouyinError(.serviceUnavailable, "\(balancer.service.rawValue) service unavailable")
            }
        }
        throw DouyinError(.serviceUnavailable, "\(balancer.service.rawValue) service unavailable")
    }

    /// The client's headers minus hop-by-hop and internal ones, plus what the service needs from us.
    private func forwardedHeaders(_ request: Request, identity: GatewayIdentity, context: DouyinRequestContext) -> HTTPHeaders {
        var headers = HTTPHeaders()
        for field in request.headers {
            let name = field.name.canonicalName
            guard !Self.hopByHop.contains(name), !name.hasPrefix(InternalHeader.prefix), name != "host" else { continue }
            headers.add(name: field.name.rawName, value: field.value)
        }
        if let host = request.head.authority { headers.replaceOrAdd(name: "x-forwarded-host", value: host) }
        headers.replaceOrAdd(name: InternalHeader.clientAddress, value: context.remoteAddress ?? "unknown")
        if let scope = RPCCallContext.current {
            headers.replaceOrAdd(name: InternalHeader.requestID, value: scope.requestID)
            headers.replaceOrAdd(name: "traceparent", value: scope.traceparent)
        }
        if case .user(let id) = identity, let secret = internalSecret {
            headers.add(name: InternalHeader.userID, value: String(id))
            headers.add(name: InternalHeader.secret, value: secret)
        }
        return headers
    }

    private static func responseHeaders(_ headers: HTTPHeaders) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in headers where !hopByHop.contains(name.lowercased()) {
            if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
        }
        return fields
    }

    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
        "proxy-authenticate", "proxy-authorization", "expect",
    ]
}
