import DouyinModels
import DouyinNIO
import NIOCore

/// A call waiting to be written: the frame and where its reply goes.
struct RPCOutboundCall {
    var frame: RPCFrame
    let promise: EventLoopPromise<RPCFrame>
    let timeout: TimeAmount
}

enum RPCTransportError: Error, Equatable {
    /// The connection closed before the reply arrived; the call may or may not have run.
    case connectionClosed
}

/// Multiplexes calls on one connection: numbers each outgoing request, matches
/// replies by stream id, and fails calls on timeout (one `DeadlineTimer` for all)
/// or when the connection closes. All state is touched on the channel's event loop only.
final class RPCClientHandler: ChannelDuplexHandler, DeadlineWatching {
    typealias InboundIn = RPCFrame
    typealias OutboundIn = RPCOutboundCall
    typealias OutboundOut = RPCFrame

    private var nextStreamID: UInt32 = 1
    private var pending: [UInt32: (promise: EventLoopPromise<RPCFrame>, deadline: NIODeadline)] = [:]
    var deadlines = DeadlineTimer()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var call = unwrapOutboundIn(data)
        let id = nextStreamID
        nextStreamID = nextStreamID == .max ? 1 : nextStreamID + 1
        call.frame.streamID = id
        let deadline = context.eventLoop.now + call.timeout
        pending[id] = (call.promise, deadline)
        watch(deadline, on: context.eventLoop)
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.write(wrapOutboundOut(call.frame)).whenFailure { error in
            loopBound.value.fail(id, with: error)
        }
        promise?.succeed()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard frame.kind != .request, let entry = pending.removeValue(forKey: frame.streamID) else { return }
        entry.promise.succeed(frame)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let calls = pending
        pending = [:]
        deadlines.cancel()
        for entry in calls.values {
            entry.promise.fail(RPCTransportError.connectionClosed)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func fail(_ id: UInt32, with error: any Error) {
        pending.removeValue(forKey: id)?.promise.fail(error)
    }

    /// Fails the calls whose deadline has come.
    func expire(dueBy now: NIODeadline) -> NIODeadline? {
        for (id, entry) in pending where entry.deadline <= now {
            fail(id, with: DouyinError(.deadlineExceeded))
        }
        return pending.values.lazy.map(\.deadline).min()
    }
}
