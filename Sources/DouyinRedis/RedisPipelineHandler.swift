import CHiredis
import DouyinNIO
import NIOCore

/// Commands already encoded as RESP, with where their replies go.
struct RedisRequest {
    var payload: ByteBuffer
    /// How many replies to collect (one per command).
    var count: Int
    var promise: EventLoopPromise<[RedisValue]>
    var timeout: TimeAmount
}

/// The connection ended before every reply arrived. `sent` tells whether the
/// request reached the socket at all: if not, it is safe to send elsewhere.
struct RedisConnectionLost: Error {
    var sent: Bool
}

/// Many requests in flight on one connection: replies come back in the order the
/// commands went out, so each request takes the next `count` replies.
///
/// A request not answered within its timeout fails the connection, with
/// everything still in flight on it: replies after a missing one could no longer
/// be matched to their commands. One `DeadlineTimer` watches all of them.
final class RedisPipelineHandler: ChannelDuplexHandler, DeadlineWatching {
    typealias InboundIn = RedisValue
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var replies: [RedisValue]
        let count: Int
        let promise: EventLoopPromise<[RedisValue]>
        let deadline: NIODeadline
        let timeout: TimeAmount
    }

    private var inFlight = CircularBuffer<Pending>()
    private var failed = false
    var deadlines = DeadlineTimer()
    /// For `expire`, which fails the connection.
    private var context: ChannelHandlerContext?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        guard !failed, context.channel.isActive else {
            request.promise.fail(RedisConnectionLost(sent: false))
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        var replies: [RedisValue] = []
        replies.reserveCapacity(request.count)
        let deadline = context.eventLoop.now + request.timeout
        inFlight.append(Pending(replies: replies, count: request.count, promise: request.promise, deadline: deadline, timeout: request.timeout))
        watch(deadline, on: context.eventLoop)
        context.write(wrapOutboundOut(request.payload), promise: promise)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// A request past its timeout fails the connection with everything on it.
    func expire(dueBy now: NIODeadline) -> NIODeadline? {
        if let late = inFlight.first(where: { $0.deadline <= now }), let context {
            fail(RedisError.connection("no reply within \(late.timeout.nanoseconds / 1_000_000) ms"), context: context)
            return nil
        }
        return inFlight.lazy.map(\.deadline).min()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        guard !inFlight.isEmpty else {
            return fail(RedisError.connection("reply without a command"), context: context)
        }
        inFlight[inFlight.startIndex].replies.append(value)
        if inFlight[inFlight.startIndex].replies.count == inFlight[inFlight.startIndex].count {
            let done = inFlight.removeFirst()
            done.promise.succeed(done.replies)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(RedisConnectionLost(sent: true), context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error is RedisError ? error : RedisConnectionLost(sent: true), context: context)
    }

    /// Fails everything in flight and closes the connection; later writes fail at once.
    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        failed = true
        deadlines.cancel()
        while let pending = inFlight.popFirst() {
            pending.promise.fail(error)
        }
        context.close(promise: nil)
    }
}

extension ByteBuffer {
    /// Appends one command in RESP, as hiredis formats it.
    mutating func writeRedisCommand(_ arguments: [any RedisArgument]) {
        let buffers = arguments.map(\.redisBytes)
        var command: UnsafeMutablePointer<CChar>?
        let length = withArgv(buffers) { argv, lengths in
            redisFormatCommandArgv(&command, Int32(buffers.count), argv, lengths)
        }
        guard length >= 0, let command else { fatalError("hiredis could not allocate a command") }
        defer { redisFreeCommand(command) }
        writeBytes(UnsafeRawBufferPointer(start: command, count: Int(length)))
    }
}
