import DouyinModels
import DouyinRPC
import Hummingbird
import Logging
import NIOCore

extension RPCServer {
    /// Serves `responder` (the service's router, middleware and all) to RPC callers of
    /// `ForwardedHTTP.method`, the way the gateway forwards buffered requests.
    ///
    /// The request context is built from the RPC connection, as it would be from an
    /// HTTP one: either way its peer is the gateway.
    public func serveForwardedHTTP<Responder: HTTPResponder>(_ responder: Responder, logger: Logger)
    where Responder.Context: RequestContext, Responder.Context.Source == ApplicationRequestContextSource {
        // The router's own middleware gives the request its context, metrics, log line and span.
        register(name: ForwardedHTTP.method, recordsItself: true) { payload, connection in
            var payload = payload
            let forwarded = try ForwardedHTTP.Request(reading: &payload)
            let request = Request(
                head: HTTPRequest(method: forwarded.method, scheme: nil, authority: nil, path: forwarded.path, headerFields: forwarded.headerFields),
                body: RequestBody(buffer: forwarded.body)
            )
            let context = Responder.Context(source: .init(channel: connection, logger: logger))
            let response = try await responder.respond(to: request, context: context)
            let body = BufferingBodyWriter()
            try await response.body.write(body)
            var reply = ByteBufferAllocator().buffer(capacity: 512 + body.buffer.readableBytes)
            ForwardedHTTP.Response(status: response.status, headerFields: response.headers, body: body.buffer).write(to: &reply)
            return reply
        }
    }
}

/// Collects a response body in memory, up to what one frame may carry (the gateway
/// forwards only requests whose answers are JSON; a file is refused, not buffered whole).
private final class BufferingBodyWriter: ResponseBodyWriter {
    var buffer = ByteBuffer()

    func write(_ part: ByteBuffer) async throws {
        guard buffer.readableBytes + part.readableBytes <= ForwardedHTTP.maxBody else {
            throw DouyinError(.internalError, "answer too large to forward")
        }
        buffer.writeImmutableBuffer(part)
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
