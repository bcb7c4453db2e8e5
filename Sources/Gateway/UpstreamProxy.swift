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
/// Small bodies are buffered so that a request whose connection was refused can
/// move to another instance; large bodies (uploads) are streamed through
/// without buffering and are never resent.
struct UpstreamProxy: Sendable {
    let client: HTTPClient
    let balancers: [ServiceName: LoadBalancer]
    let internalSecret: String?
    let requestTimeout: Duration
    let streamingTimeout: Duration
    static let maxBufferedBody = 1 << 20

    func forward(
        _ request: Request, to service: ServiceName, identity: GatewayIdentity, context: DouyinRequestContext, streams: Bool
    ) async throws -> Response {
        guard let balancer = balancers[service] else { throw DouyinError(.serviceUnavailable) }
        var upstream = HTTPClientRequest(url: "")
        upstream.method = .init(rawValue: request.method.rawValue)
        upstream.headers = forwardedHeaders(request, identity: identity, context: context)
        let contentLength = request.headers[.contentLength].flatMap(Int.init)
        let buffered: ByteBuffer?
        var request = request
        if !streams, contentLength ?? 0 <= Self.maxBufferedBody {
            buffered = try await request.collectBody(upTo: Self.maxBufferedBody)
        } else {
            buffered = nil
        }
        let timeout = streams ? streamingTimeout : requestTimeout
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000)
        var tried: Set<String> = []
        while let instance = await balancer.pick(excluding: tried) {
            tried.insert(instance.id)
            upstream.url = "http://\(instance.host):\(instance.httpPort)\(request.uri.string)"
            if let buffered {
                upstream.body = .bytes(buffered)
            } else {
                upstream.body = .stream(request.body, length: contentLength.map { .known(Int64($0)) } ?? .unknown)
            }
            balancer.begin(instance.id)
            defer { balancer.end(instance.id) }
            do {
                let response = try await client.execute(upstream, deadline: deadline, logger: context.logger)
                balancer.succeeded(instance.id)
                let length = response.headers.first(name: "content-length").flatMap(Int.init)
                // API answers are small JSON: one buffer costs fewer task hops than a
                // stream. Media and unknown lengths stream through.
                let body = if let length, length <= Self.maxBufferedBody {
                    ResponseBody(byteBuffer: try await response.body.collect(upTo: length))
                } else {
                    ResponseBody(asyncSequence: response.body)
                }
                return Response(status: .init(code: Int(response.status.code)), headers: Self.responseHeaders(response.headers), body: body)
            } catch where Self.isConnectFailure(error) {
                balancer.eject(instance.id)
                context.logger.warning("upstream unreachable", metadata: ["service": "\(service.rawValue)", "instance": "\(instance.id)"])
                // Nothing was sent: another instance may take it, if we still have the body.
                guard buffered != nil else { break }
            } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
                throw DouyinError(.deadlineExceeded)
            } catch {
                balancer.eject(instance.id)
                context.logger.warning("upstream failed", metadata: ["service": "\(service.rawValue)", "error": "\(error)"])
                throw DouyinError(.serviceUnavailable, "\(service.rawValue) service unavailable")
            }
        }
        throw DouyinError(.serviceUnavailable, "\(service.rawValue) service unavailable")
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
        if let requestID = RPCCallContext.current?.requestID { headers.replaceOrAdd(name: InternalHeader.requestID, value: requestID) }
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
        "proxy-authenticate", "proxy-authorization",
    ]

    static func isConnectFailure(_ error: any Error) -> Bool {
        if error is NIOConnectionError { return true }
        if let error = error as? HTTPClientError, error == .connectTimeout { return true }
        if let error = error as? ChannelError, error == .connectTimeout(.seconds(1)) { return true }
        if let error = error as? IOError, [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH].contains(error.errnoCode) { return true }
        return false
    }
}
