import DouyinModels
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// Keep-alive HTTP/1.1 connections from the gateway to service instances, for
/// exchanges whose request and answer are small enough to hold in memory (every
/// API call except uploads, media and the chat socket).
///
/// This is the hot path of the whole system, so it is plain NIO: one handler
/// per connection, a stack of idle connections per instance and event loop, one
/// promise per exchange. A request is served on its client connection's event
/// loop, so it is sent on an upstream connection of the same loop: writing the
/// request and resuming on the answer then never wake another thread.
/// Streaming exchanges go through AsyncHTTPClient instead.
final class UpstreamConnections: Sendable {
    struct Exchange: Sendable {
        var head: HTTPRequestHead
        var body: ByteBuffer?
    }

    enum Failure: Error {
        /// Nothing of the request reached the instance: safe to send elsewhere.
        case notSent(any Error)
        /// The connection ended before a whole answer arrived.
        case connectionLost
        case timedOut
        case answerTooLarge
    }

    private let group: any EventLoopGroup
    private let connectTimeout: TimeAmount
    private struct IdleKey: Hashable {
        let instance: String
        let eventLoop: ObjectIdentifier
    }

    private let idle = NIOLockedValueBox<[IdleKey: [any Channel]]>([:])
    private static let maxIdlePerInstance = 128
    static let maxAnswerBytes = 8 << 20

    init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, connectTimeout: TimeAmount) {
        self.group = group
        self.connectTimeout = connectTimeout
    }

    /// Sends one request and returns the whole answer.
    func exchange(_ exchange: Exchange, host: String, port: Int, timeout: TimeAmount) async throws -> (HTTPResponseHead, ByteBuffer) {
        let eventLoop = MultiThreadedEventLoopGroup.currentEventLoop ?? group.next()
        let key = IdleKey(instance: "\(host):\(port)", eventLoop: ObjectIdentifier(eventLoop))
        if let channel = reuse(key) {
            do {
                return try await send(exchange, on: channel, key: key, timeout: timeout)
            } catch Failure.connectionLost where !(channel.isActive) {
                // The instance closed this idle connection as we used it (it is
                // shutting down); its answer never started. Use a new connection.
            }
        }
        let channel: any Channel
        do {
            channel = try await connect(host: host, port: port, on: eventLoop)
        } catch {
            throw Failure.notSent(error)
        }
        return try await send(exchange, on: channel, key: key, timeout: timeout)
    }

    func shutdown() async {
        let channels = idle.withLockedValue { idle in
            defer { idle = [:] }
            return idle.values.flatMap { $0 }
        }
        for channel in channels { try? await channel.close() }
    }

    private func send(_ exchange: Exchange, on channel: any Channel, key: IdleKey, timeout: TimeAmount) async throws -> (HTTPResponseHead, ByteBuffer) {
        let promise = channel.eventLoop.makePromise(of: UpstreamAnswer.self)
        channel.writeAndFlush(UpstreamCall(exchange: exchange, promise: promise, timeout: timeout), promise: nil)
        let answer = try await promise.futureResult.get()
        if answer.reusable, channel.isActive {
            park(channel, key: key)
        } else {
            channel.close(promise: nil)
        }
        return (answer.head, answer.body)
    }

    private func reuse(_ key: IdleKey) -> (any Channel)? {
        idle.withLockedValue { idle in
            while let channel = idle[key]?.popLast() {
                if channel.isActive { return channel }
            }
            return nil
        }
    }

    private func park(_ channel: any Channel, key: IdleKey) {
        let kept = idle.withLockedValue { idle in
            guard idle[key, default: []].count < Self.maxIdlePerInstance else { return false }
            idle[key, default: []].append(channel)
            return true
        }
        if !kept { channel.close(promise: nil) }
    }

    private func connect(host: String, port: Int, on eventLoop: any EventLoop) async throws -> any Channel {
        try await ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(UpstreamExchangeHandler())
                }
            }
            .connect(host: host, port: port).get()
    }
}

struct UpstreamCall {
    let exchange: UpstreamConnections.Exchange
    let promise: EventLoopPromise<UpstreamAnswer>
    let timeout: TimeAmount
}

struct UpstreamAnswer: Sendable {
    var head: HTTPResponseHead
    var body: ByteBuffer
    /// The connection may carry another exchange.
    var reusable: Bool
}

/// Runs one exchange at a time on its connection: writes the request, gathers
/// the answer, fails the exchange on timeout or when the connection ends.
final class UpstreamExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = UpstreamCall
    typealias OutboundOut = HTTPClientRequestPart

    private var pending: (promise: EventLoopPromise<UpstreamAnswer>, timer: Scheduled<Void>)?
    private var head: HTTPResponseHead?
    private var body: ByteBuffer?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let call = unwrapOutboundIn(data)
        guard pending == nil else {
            call.promise.fail(UpstreamConnections.Failure.connectionLost)
            return
        }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let timer = context.eventLoop.scheduleTask(in: call.timeout) {
            let (handler, context) = loopBound.value
            handler.finish(.failure(UpstreamConnections.Failure.timedOut))
            context.close(promise: nil)
        }
        pending = (call.promise, timer)
        head = nil
        body = nil
        context.write(wrapOutboundOut(.head(call.exchange.head)), promise: nil)
        if let requestBody = call.exchange.body, requestBody.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(requestBody))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let responseHead):
            head = responseHead
        case .body(var part):
            if body == nil {
                body = part
            } else {
                body!.writeBuffer(&part)
            }
            if (body?.readableBytes ?? 0) > UpstreamConnections.maxAnswerBytes {
                finish(.failure(UpstreamConnections.Failure.answerTooLarge))
                context.close(promise: nil)
            }
        case .end:
            guard let responseHead = head else { return }
            finish(.success(UpstreamAnswer(head: responseHead, body: body ?? ByteBuffer(), reusable: responseHead.isKeepAlive)))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(UpstreamConnections.Failure.connectionLost))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(UpstreamConnections.Failure.connectionLost))
        context.close(promise: nil)
    }

    private func finish(_ result: Result<UpstreamAnswer, any Error>) {
        guard let (promise, timer) = pending else { return }
        pending = nil
        timer.cancel()
        promise.completeWith(result)
    }
}
