import DouyinModels
import DouyinNIO
import DouyinObservability
import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOFoundationCompat
import NIOPosix
import ServiceLifecycle

/// Serves RPC methods on a TCP port; one connection carries many concurrent calls.
///
/// Each request runs in its own task under the caller's deadline: when it
/// expires the work is cancelled and the caller gets `deadlineExceeded`.
public final class RPCServer: Sendable {
    /// Serves one call: its payload, and the connection it came on.
    public typealias Handler = @Sendable (_ payload: ByteBuffer, _ connection: any Channel) async throws -> ByteBuffer

    private struct Method {
        let handler: Handler
        /// Whether the handler sets up its own call context, metrics and span (a router does).
        let recordsItself: Bool
    }

    private let methods = NIOLockedValueBox<[String: Method]>([:])
    private let logger: Logger
    private let listeners = NIOLockedValueBox<[any Channel]>([])
    private let inFlight = NIOLockedValueBox(0)
    private let spans: SpanExporter?

    /// - Parameter spans: where a span per answered call goes, when tracing is on.
    public init(logger: Logger, spans: SpanExporter? = nil) {
        self.logger = logger
        self.spans = spans
    }

    /// Serves `method` with `body`.
    public func register<M: RPCMethod>(_ method: M.Type, _ body: @escaping @Sendable (M.Request) async throws -> M.Response) {
        register(name: M.name) { payload, _ in
            let request: M.Request
            do {
                request = try RPCCoding.decode(M.Request.self, from: payload)
            } catch {
                throw DouyinError(.invalidParameter, "malformed \(M.name) request")
            }
            return try RPCCoding.encode(try await body(request))
        }
    }

    /// Serves the method `name` with a handler of raw payloads, for methods with their own encoding.
    /// - Parameter recordsItself: the handler sets up its own call context, metrics and span
    ///   (requests forwarded into a router do, in its middleware), so the server adds none.
    public func register(name: String, recordsItself: Bool = false, _ handler: @escaping Handler) {
        methods.withLockedValue { $0[name] = Method(handler: handler, recordsItself: recordsItself) }
    }

    /// Binds the listening socket; returns the port (useful with port 0).
    public func bind(host: String, port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> Int {
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in configureConnection(channel) }
            .bind(host: host, port: port).get()
        listeners.withLockedValue { $0.append(server) }
        return server.localAddress?.port ?? port
    }

    /// Also listens on a Unix socket, for callers on the same node: their calls then
    /// skip the TCP/IP stack on both sides (see `ServiceInstance.localRPCSocket`).
    /// A file left at `path` by a process that died is replaced; the file is removed on `close`.
    public func bind(unixSocket path: String, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws {
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .childChannelInitializer { [self] channel in configureConnection(channel) }
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        listeners.withLockedValue { $0.append(server) }
    }

    private func configureConnection(_ channel: any Channel) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(FlushCoalescingHandler())
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RPCFrameCodec()))
            try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(RPCFrameCodec()))
            try channel.pipeline.syncOperations.addHandler(RPCServerHandler(server: self, eventLoop: channel.eventLoop))
        }
    }

    /// Stops accepting connections, then waits (bounded) for calls in progress.
    public func close(drainFor limit: Duration = .seconds(10)) async {
        for listener in listeners.withLockedValue({ $0 }) {
            let socketFile = listener.localAddress?.pathname
            try? await listener.close()
            if let socketFile { unlink(socketFile) }
        }
        let clock = ContinuousClock()
        let end = clock.now + limit
        while inFlight.withLockedValue({ $0 }) > 0, clock.now < end {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    func serve(_ frame: RPCFrame, connection: any Channel) async -> RPCFrame {
        inFlight.withLockedValue { $0 += 1 }
        defer { inFlight.withLockedValue { $0 -= 1 } }
        // Replies are matched by stream id alone: no method or ids to encode and parse again.
        let reply = RPCFrame(kind: .response, streamID: frame.streamID)
        guard let method = methods.withLockedValue({ $0[frame.method] }) else {
            return Self.failure(reply, DouyinError(.routeNotFound, "unknown RPC method \(frame.method)"))
        }
        let deadline = frame.deadlineMilliseconds > 0
            ? ContinuousClock.now + .milliseconds(Int(frame.deadlineMilliseconds)) : nil
        if method.recordsItself {
            // It makes its own scope (ids, trace, log line), which continues this deadline.
            return await RPCCallContext.$current.withValue(RPCCallContext(deadline: deadline)) {
                await answer(frame, with: method.handler, connection: connection, reply: reply, trace: nil)
            }
        }
        let timer = RequestTimer()
        let caller = TraceParent(frame.traceparent)
        let trace = caller?.child()
        let callContext = RPCCallContext(deadline: deadline, requestID: frame.requestID, trace: trace)
        let answered = await RPCCallContext.$current.withValue(callContext) {
            await answer(frame, with: method.handler, connection: connection, reply: reply, trace: trace)
        }
        RPCMetrics.served(method: frame.method, code: answered.kind == .error ? answered.errorCode : 0, duration: timer.elapsed)
        if let spans, let trace, trace.isSampled {
            var attributes: [(key: String, value: Span.Value)] = [("rpc.system", .string("douyin")), ("rpc.method", .string(frame.method))]
            if answered.kind == .error { attributes.append(("douyin.status_code", .int(Int(answered.errorCode)))) }
            spans.record(timer.finish(
                trace, parent: caller?.spanID, name: frame.method, attributes: attributes,
                error: answered.kind == .error ? String(buffer: answered.payload) : nil
            ))
        }
        return answered
    }

    private func answer(
        _ frame: RPCFrame, with handler: Handler, connection: any Channel, reply: RPCFrame, trace: TraceParent?
    ) async -> RPCFrame {
        var reply = reply
        do {
            reply.payload = try await handler(frame.payload, connection)
            return reply
        } catch let error as DouyinError {
            return Self.failure(reply, error)
        } catch where Task.isCancelled {
            // Cancelled by the deadline timer of `RPCServerHandler`.
            return Self.failure(reply, DouyinError(.deadlineExceeded))
        } catch {
            var logger = logger
            logger[metadataKey: "request_id"] = "\(frame.requestID)"
            logger[metadataKey: "trace_id"] = "\(trace?.traceID ?? "")"
            logger.error("RPC method failed", metadata: ["method": "\(frame.method)", "error": "\(String(reflecting: error))"])
            return Self.failure(reply, DouyinError(.internalError))
        }
    }

    private static func failure(_ reply: RPCFrame, _ error: DouyinError) -> RPCFrame {
        var reply = reply
        reply.kind = .error
        reply.errorCode = error.code.rawValue
        reply.payload = ByteBuffer(string: error.message)
        return reply
    }
}

/// Hands each request frame to the server and writes the reply on the same connection.
///
/// A call with a deadline is cancelled when it passes (the caller has stopped
/// waiting by then). The calls running on the connection share one `DeadlineTimer`
/// on its event loop instead of a timer each. State is touched on that loop only.
final class RPCServerHandler: ChannelInboundHandler, DeadlineWatching {
    typealias InboundIn = RPCFrame
    typealias OutboundOut = RPCFrame

    let server: RPCServer
    /// Calls are served on the connection's own event loop, like HTTP requests.
    let executor: EventLoopTaskExecutor
    /// Calls that have not answered yet, by a number of this connection's. They keep
    /// their deadline when the connection closes, as they keep running.
    private var running: [UInt64: Running] = [:]
    private var nextCall: UInt64 = 0
    var deadlines = DeadlineTimer()

    private struct Running {
        let deadline: NIODeadline
        var call: Task<Void, Never>?
    }

    init(server: RPCServer, eventLoop: any EventLoop) {
        self.server = server
        self.executor = EventLoopTaskExecutor(eventLoop)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard frame.kind == .request else { return }
        let channel = context.channel
        let id = nextCall
        nextCall &+= 1
        // A caller that sets no deadline waits as long as the call runs.
        let deadline = frame.deadlineMilliseconds > 0
            ? context.eventLoop.now + .milliseconds(Int64(frame.deadlineMilliseconds)) : .distantFuture
        // Recorded before the call starts: it may finish before `Task.immediate` returns.
        running[id] = Running(deadline: deadline)
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        // Started at once on this thread (the connection's loop) up to its first
        // suspension, instead of queued behind the loop's other work.
        let call = Task.immediate(executorPreference: executor) { [server] in
            let reply = await server.serve(frame, connection: channel)
            channel.writeAndFlush(reply, promise: nil)
            if channel.eventLoop.inEventLoop {
                loopBound.value.running[id] = nil
            } else {
                channel.eventLoop.execute { loopBound.value.running[id] = nil }
            }
        }
        running[id]?.call = call
        watch(deadline, on: context.eventLoop)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A framing error leaves the stream unreadable: drop the connection.
        context.close(promise: nil)
    }

    /// Cancels the calls whose deadline has come: their callers have stopped waiting.
    func expire(dueBy now: NIODeadline) -> NIODeadline? {
        for (id, entry) in running where entry.deadline <= now {
            entry.call?.cancel()
            running[id] = nil
        }
        return running.values.lazy.map(\.deadline).min()
    }
}

/// Runs the RPC server inside a `ServiceGroup`: it drains on graceful shutdown.
public struct RPCServerService: Service {
    let server: RPCServer

    public init(_ server: RPCServer) {
        self.server = server
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await server.close()
    }
}
