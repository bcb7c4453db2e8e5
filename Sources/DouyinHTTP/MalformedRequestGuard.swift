import DouyinModels
import DouyinObservability
import DouyinRPC
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Sets up a connection like `base`, and answers a first request that is not
/// valid HTTP (say, a method no parser knows) with 400 and the JSON envelope;
/// a connection whose first request head is not whole within `idleTimeout` is closed.
///
/// Hummingbird answers malformed requests once a connection's request stream
/// is up, but its WebSocket upgrade channel turns error handling off until the
/// first request has been read: such a first request got no answer at all and
/// its connection stayed open. Its HTTP handlers (`IdleConnectionTimeout` among
/// them) are added only once that request's head is read, so until then nothing
/// else closes a connection that sends nothing, or a head in pieces that stop.
public struct MalformedRequestGuard<Base: ServerChildChannel>: ServerChildChannel {
    public typealias Value = Base.Value

    let base: Base
    let idleTimeout: Duration

    public init(_ base: Base, idleTimeout: Duration) {
        self.base = base
        self.idleTimeout = idleTimeout
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { [idleTimeout] value in
            try channel.pipeline.syncOperations.addHandler(MalformedFirstRequestHandler(idleTimeout: idleTimeout))
            return value
        }
    }

    public func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// After the HTTP/1 decoder and the upgrade handler; steps aside at the first request part.
final class MalformedFirstRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias OutboundOut = HTTPServerResponsePart

    private let idleTimeout: Duration
    private var answered = false
    private var deadline: Scheduled<Void>?

    init(idleTimeout: Duration) {
        self.idleTimeout = idleTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: TimeAmount(idleTimeout)) {
            let context = bound.value
            // The upgrade to a WebSocket took the request and the HTTP codec with it: that socket pings on its own.
            if (try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self)) == nil {
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            } else {
                context.close(promise: nil)
            }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
        // A request was parsed: from here on the request stream handles errors (and idleness) itself.
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else { return context.fireErrorCaught(error) }
        guard !answered else { return }
        answered = true
        let failure = DouyinError(.invalidParameter, "malformed HTTP request")
        let body = Response.encodeJSON(StatusEnvelope(failure))
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: Response.jsonContentType)
        headers.add(name: "content-length", value: String(body.readableBytes))
        headers.add(name: "connection", value: "close")
        let status = HTTPResponseStatus(statusCode: failure.code.httpStatus)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}
