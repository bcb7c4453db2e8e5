import DouyinModels
import DouyinNIO
import DouyinRPC
import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Serves the API's buffered requests in the channel pipeline: the head and body
/// are read here, the request goes to its service as one RPC call, and the answer
/// is written from here. Everything else (uploads, media, the chat socket, errors
/// of routing, chunked bodies) passes on to the Hummingbird router behind it.
///
/// Why: through the router each request crosses from the channel into a Swift task
/// and back (an async sequence in, an async writer out), which cost the gateway
/// more CPU than routing, authenticating and forwarding together.
///
/// A connection's requests are answered in the order they came, whichever side
/// answers them: while one is being answered, what the client sends next waits
/// here (and reading stops) until that answer's last part has been written.
/// All state is touched on the channel's event loop only.
final class APIForwardingHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum State {
        case idle
        /// Reading a request this handler answers.
        case reading(HTTPRequest, Endpoint, ByteBuffer)
        /// Its answer is on its way.
        case answering(closesAfter: Bool)
        /// A request passed on to the router: waiting for its last part to go in and its answer's end to come out.
        case passedOn(requestEnded: Bool, answerEnded: Bool)
        case closed
    }

    private let forwarder: APIForwarder
    private var state = State.idle
    /// Parts that arrived while an earlier request was being answered.
    private var waiting = CircularBuffer<HTTPRequestPart>()
    /// A read asked for while parts wait, issued once they have been taken.
    private var readHeld = false
    /// The server is shutting down: close once the request being answered here is.
    private var closesWhenAnswered = false
    /// The client closed its side after sending: passed on once what it sent is answered
    /// (the router's channel ends the connection when it sees it).
    private var inputClosedHeld = false
    /// Bytes after whole requests broke HTTP: passed on (the router answers 400 and closes)
    /// once those requests are answered.
    private var errorHeld: (any Error)?
    private var peer: String?
    private var executor: EventLoopTaskExecutor?

    init(forwarder: APIForwarder) {
        self.forwarder = forwarder
    }

    func handlerAdded(context: ChannelHandlerContext) {
        peer = context.channel.remoteAddress?.ipAddress
        executor = EventLoopTaskExecutor(context.eventLoop)
    }

    /// Whether a part that arrives now belongs to the request in progress (else it waits).
    private var takesParts: Bool {
        switch state {
        case .idle, .reading, .passedOn(requestEnded: false, _), .closed: true
        case .answering, .passedOn(requestEnded: true, _): false
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        guard waiting.isEmpty, takesParts else {
            waiting.append(part)
            return
        }
        take(part, context: context)
    }

    private func take(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch (state, part) {
        case (.idle, .head(let head)):
            if let endpoint = APIForwarder.endpoint(taking: head) {
                state = .reading(head, endpoint, context.channel.allocator.buffer(capacity: 0))
            } else {
                state = .passedOn(requestEnded: false, answerEnded: false)
                context.fireChannelRead(wrapInboundOut(part))
            }
        case (.reading(let head, let endpoint, var body), .body(var chunk)):
            // The decoder holds a body to its declared length, which was checked; this is a second guard.
            guard body.readableBytes + chunk.readableBytes <= APIForwarder.maxBody else {
                state = .answering(closesAfter: true)
                write(APIForwarder.answer(DouyinError(.payloadTooLarge)), context: context)
                return
            }
            state = .idle  // the buffer is not shared while it grows
            body.writeBuffer(&chunk)
            state = .reading(head, endpoint, body)
        case (.reading(let head, let endpoint, let body), .end):
            let closesAfter = head.headerFields[.connection].map { $0.lowercased().contains("close") } ?? false
            state = .answering(closesAfter: closesAfter)
            forward(head, body: body, endpoint: endpoint, context: context)
        case (.passedOn(requestEnded: false, let answerEnded), _):
            if case .end = part {
                state = answerEnded ? .idle : .passedOn(requestEnded: true, answerEnded: false)
            }
            context.fireChannelRead(wrapInboundOut(part))
            if case .idle = state { takeWaiting(context: context) }
        case (.closed, _):
            break
        default:
            // A body without a head: the router refuses it and closes the connection.
            state = .passedOn(requestEnded: part.isEnd, answerEnded: false)
            context.fireChannelRead(wrapInboundOut(part))
        }
    }

    /// Starts the exchange at once on this event loop; its answer is written here too.
    private func forward(_ head: HTTPRequest, body: ByteBuffer, endpoint: Endpoint, context: ChannelHandlerContext) {
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        let (forwarder, peer) = (self.forwarder, self.peer)
        Task.immediate(executorPreference: executor) {
            let answer = await forwarder.answer(head, body: body, endpoint: endpoint, peer: peer)
            if bound.eventLoop.inEventLoop {
                bound.value.handler.write(answer, context: bound.value.context)
            } else {
                bound.eventLoop.execute { bound.value.handler.write(answer, context: bound.value.context) }
            }
        }
    }

    private func write(_ answer: ForwardedHTTP.Response, context: ChannelHandlerContext) {
        guard case .answering(let closesAfter) = state else { return }  // the connection closed meanwhile
        let closes = closesAfter || closesWhenAnswered
        var head = HTTPResponse(status: answer.status, headerFields: answer.headerFields)
        head.headerFields[.contentLength] = String(answer.body.readableBytes)
        head.headerFields[.date] = HTTPDate.shared.now
        if closes { head.headerFields[.connection] = "close" }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if answer.body.readableBytes > 0 { context.write(wrapOutboundOut(.body(answer.body)), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        if closes {
            state = .closed
            waiting.removeAll()
            context.close(promise: nil)
        } else {
            state = .idle
            takeWaiting(context: context)
        }
    }

    /// Takes what waited, up to the next request that must be answered first.
    private func takeWaiting(context: ChannelHandlerContext) {
        var took = false
        while takesParts, let part = waiting.popFirst() {
            take(part, context: context)
            took = true
        }
        // Outside a read: the router's channel hands reads to its task only at a read's
        // completion, so parts passed on now would wait there for the next one.
        if took { context.fireChannelReadComplete() }
        guard waiting.isEmpty, !isAnswering else { return }
        if let error = errorHeld {
            errorHeld = nil
            context.fireErrorCaught(error)
        }
        if inputClosedHeld {
            inputClosedHeld = false
            context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        }
        if readHeld {
            readHeld = false
            context.read()
        }
    }

    private var isAnswering: Bool {
        if case .answering = state { return true }
        return false
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), case .passedOn(let requestEnded, _) = state {
            state = requestEnded ? .idle : .passedOn(requestEnded: false, answerEnded: true)
            context.write(data, promise: promise)
            if case .idle = state { takeWaiting(context: context) }
            return
        }
        context.write(data, promise: promise)
    }

    func read(context: ChannelHandlerContext) {
        // Pipelined requests wait unread in the socket, not in memory here.
        guard waiting.isEmpty else {
            readHeld = true
            return
        }
        context.read()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // A client may close its side once it has sent its requests: they are answered first.
        if case .some(.inputClosed) = event as? ChannelEvent, isAnswering || !waiting.isEmpty {
            inputClosedHeld = true
            return
        }
        // Shutting down: a request this handler is answering finishes first; the
        // router's connection handler behind it sees no request of ours in progress.
        if event is ChannelShouldQuiesceEvent {
            switch state {
            case .reading, .answering:
                closesWhenAnswered = true
                return
            case .idle, .passedOn, .closed:
                break
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch state {
        case .reading:
            // The request being read is broken: the router answers it (400) and closes.
            state = .passedOn(requestEnded: true, answerEnded: false)
            waiting.removeAll()
            context.fireErrorCaught(error)
        case .answering:
            // What broke came after a whole request: its answer goes first (a client that
            // asked to close may not send more; llhttp calls that an error).
            errorHeld = error
        case .idle, .passedOn, .closed:
            if waiting.isEmpty { context.fireErrorCaught(error) } else { errorHeld = error }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        waiting.removeAll()
        context.fireChannelInactive()
    }
}

extension HTTPRequestPart {
    fileprivate var isEnd: Bool {
        if case .end = self { return true }
        return false
    }
}
