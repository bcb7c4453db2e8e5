import DouyinModels
import Hummingbird
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Answers a `CONNECT` request (a tunnel, which no process here opens) with 405 and
/// the JSON envelope, then closes the connection.
///
/// Why not the router: NIO's response encoder writes every answer to `CONNECT`
/// without a body or framing headers (right for a 2xx, which turns the connection
/// into a tunnel), and its parser reads nothing more on that connection. The
/// router's 404 reached the client as a head with no length, on a connection that
/// stayed open: the client waited for a body that never came. This answer is
/// written whole below the encoder, and the connection ends after it, so the client
/// reads it to the close.
///
/// Placed after the handlers that keep pipelined requests in order, so answers to
/// requests sent before the `CONNECT` go out first.
public final class TunnelRequestRefusal: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart

    private var refused = false

    public init() {}

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }  // the rest of a refused request, or what followed it
        guard case .head(let head) = unwrapInboundIn(data), head.method == .connect else {
            context.fireChannelRead(data)
            return
        }
        refused = true
        // Written from the encoder's own context, so it goes to the socket as it is.
        guard let below = try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self) else {
            context.close(promise: nil)
            return
        }
        let answer = Self.answer(context.channel.allocator)
        below.writeAndFlush(NIOAny(answer)).whenComplete { _ in context.close(promise: nil) }
    }

    static func answer(_ allocator: ByteBufferAllocator) -> ByteBuffer {
        let failure = DouyinError(.methodNotAllowed, "CONNECT is not supported: no tunnels are opened here")
        let body = Response.encodeJSON(StatusEnvelope(failure))
        var buffer = allocator.buffer(capacity: 160 + body.readableBytes)
        buffer.writeString(
            "HTTP/1.1 405 Method Not Allowed\r\ncontent-type: \(Response.jsonContentType)\r\n"
                + "content-length: \(body.readableBytes)\r\nconnection: close\r\n\r\n"
        )
        buffer.writeImmutableBuffer(body)
        return buffer
    }
}
