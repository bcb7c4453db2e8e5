import NIOCore

/// Turns the flushes of one event-loop turn into one socket write.
///
/// Connections that carry many requests at once (a Redis connection per event
/// loop, an RPC server's connection from the gateway) would otherwise write each
/// command or reply with its own syscall, and wake the peer once per write. The
/// first flush of a turn is deferred to the loop's task queue, behind the work
/// already queued there (the other requests of the turn); flushes before it
/// runs are absorbed. Put it first in the pipeline, next to the socket.
///
/// Measured on user info: with Redis commands and RPC replies coalesced the user
/// service spends about a fifth less CPU per request. Not used where a process
/// sends requests whose answers it waits for on the same turn's critical path
/// (the gateway's RPC calls): there the other side idled until the batch left.
public final class FlushCoalescingHandler: ChannelOutboundHandler {
    public typealias OutboundIn = NIOAny

    private var flushScheduled = false

    public init() {}

    public func flush(context: ChannelHandlerContext) {
        guard !flushScheduled else { return }
        flushScheduled = true
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            bound.value.handler.flushScheduled = false
            bound.value.context.flush()
        }
    }
}
