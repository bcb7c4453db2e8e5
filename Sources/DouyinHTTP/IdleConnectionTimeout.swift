import NIOCore
import NIOHTTPTypes

/// Closes a connection on which the client has sent nothing for `timeout`: one
/// left open between requests, or one whose request stalled (a head or body sent
/// in pieces that stopped coming). A connection waiting for its answer is never
/// closed here; the request's own deadline bounds that wait.
///
/// Why not Hummingbird's idle timeout: it counts the requests that reach the
/// router, and the gateway answers most requests before they do
/// (`APIForwardingHandler`), so it would close busy connections. This handler
/// comes first among the HTTP handlers and sees every request and answer.
public final class IdleConnectionTimeout: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    /// Requests whose head came in and whose answer has not ended.
    private var unanswered = 0
    /// A request's head came in and its end has not.
    private var readingRequest = false
    private var lastActivity = NIODeadline.uptimeNanoseconds(0)
    private var check: Scheduled<Void>?

    public init(after timeout: Duration) {
        self.timeout = TimeAmount(timeout)
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        lastActivity = context.eventLoop.now
        schedule(context, at: lastActivity + timeout)
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActivity = context.eventLoop.now
        switch unwrapInboundIn(data) {
        case .head:
            unanswered += 1
            readingRequest = true
        case .body:
            break
        case .end:
            readingRequest = false
        }
        context.fireChannelRead(data)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            unanswered = max(0, unanswered - 1)
            lastActivity = context.eventLoop.now
        }
        context.write(data, promise: promise)
    }

    private func schedule(_ context: ChannelHandlerContext, at deadline: NIODeadline) {
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        check = context.eventLoop.scheduleTask(deadline: deadline) {
            bound.value.handler.expire(bound.value.context)
        }
    }

    private func expire(_ context: ChannelHandlerContext) {
        check = nil
        let waitingForAnswer = unanswered > 0 && !readingRequest
        let idleUntil = lastActivity + timeout
        let now = context.eventLoop.now
        if waitingForAnswer || idleUntil > now {
            schedule(context, at: waitingForAnswer ? now + timeout : idleUntil)
        } else {
            context.close(promise: nil)
        }
    }
}
