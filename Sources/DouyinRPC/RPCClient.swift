import DouyinDiscovery
import DouyinModels
import DouyinObservability
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOFoundationCompat
import NIOPosix

/// Calls the methods of one service, on instances found in the registry.
///
/// Picks an instance by power-of-two-choices on calls in flight, keeps
/// persistent multiplexed connections per instance (one per calling event
/// loop), and ejects an instance whose connection fails. A call that could not
/// be sent (connection refused) moves on to another instance; one cut off
/// mid-flight is retried only for idempotent methods. Every call carries the
/// caller's remaining deadline.
public final class RPCClient: Sendable {
    public let service: ServiceName
    /// Where the instances come from; callers that also reach the service another way share it.
    public let balancer: LoadBalancer
    private let group: any EventLoopGroup
    private let defaultTimeout: Duration
    private let connectTimeout: TimeAmount
    private let connectionsPerInstance: Int
    private let connections = NIOLockedValueBox<[ConnectionKey: Connection]>([:])

    private struct ConnectionKey: Hashable {
        enum Slot: Hashable {
            /// The connection of the calling event loop.
            case loop(ObjectIdentifier)
            /// One of the connections shared by callers off the loops.
            case shared(UInt64)
        }

        let instance: String
        let slot: Slot
    }

    private struct Connection {
        let future: EventLoopFuture<any Channel>
        /// Set once connected, so a call takes it without awaiting the future.
        var channel: (any Channel)?
    }

    public init(
        service: ServiceName,
        balancer: LoadBalancer,
        defaultTimeout: Duration = .seconds(5),
        connectTimeout: TimeAmount = .seconds(1),
        connectionsPerInstance: Int = 2,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.service = service
        self.balancer = balancer
        self.defaultTimeout = defaultTimeout
        self.connectTimeout = connectTimeout
        self.connectionsPerInstance = connectionsPerInstance
        self.group = group
    }

    public func call<M: RPCMethod>(_ method: M.Type, _ request: M.Request) async throws -> M.Response {
        let reply = try await call(name: M.name, payload: try RPCCoding.encode(request), isIdempotent: M.isIdempotent)
        do {
            return try RPCCoding.decode(M.Response.self, from: reply)
        } catch {
            throw DouyinError(.internalError, "malformed RPC reply")
        }
    }

    /// Calls the method `name` with a payload in its own encoding; returns the reply's payload.
    /// - Parameter isIdempotent: whether a call cut off mid-flight may be sent again.
    public func call(name: String, payload: ByteBuffer, isIdempotent: Bool) async throws -> ByteBuffer {
        let start = ContinuousClock.now
        do {
            let response = try await send(name: name, payload: payload, isIdempotent: isIdempotent)
            RPCMetrics.called(method: name, service: service.rawValue, outcome: "ok", duration: start.duration(to: .now))
            return response
        } catch {
            let outcome = (error as? DouyinError).map { String($0.code.rawValue) } ?? "error"
            RPCMetrics.called(method: name, service: service.rawValue, outcome: outcome, duration: start.duration(to: .now))
            throw error
        }
    }

    private func send(name: String, payload: ByteBuffer, isIdempotent: Bool) async throws -> ByteBuffer {
        let context = RPCCallContext.current ?? RPCCallContext()
        let ownDeadline = ContinuousClock.now + defaultTimeout
        let deadline = min(context.deadline ?? ownDeadline, ownDeadline)
        var frame = RPCFrame(
            kind: .request, method: name, traceparent: context.traceparent, requestID: context.requestID, payload: payload
        )
        var tried: Set<String> = []
        var resent = false
        while true {
            guard let instance = await balancer.pick(excluding: tried) else {
                throw DouyinError(.serviceUnavailable, "\(service.rawValue) service unavailable")
            }
            tried.insert(instance.id)
            balancer.begin(instance.id)
            defer { balancer.end(instance.id) }
            let channel: any Channel
            do {
                channel = try await connection(to: instance)
            } catch {
                balancer.eject(instance.id)
                continue
            }
            guard let remaining = RPCCallContext(deadline: deadline).remainingMilliseconds(), ContinuousClock.now < deadline else {
                throw DouyinError(.deadlineExceeded)
            }
            frame.deadlineMilliseconds = remaining
            do {
                let reply = try await Self.exchange(frame, timeout: .milliseconds(Int64(remaining)), on: channel).get()
                balancer.succeeded(instance.id)
                guard reply.kind != .error else {
                    throw DouyinError(ErrorCode(rawValue: reply.errorCode) ?? .internalError, String(buffer: reply.payload))
                }
                return reply.payload
            } catch RPCTransportError.connectionClosed {
                forget(instance.id)
                balancer.eject(instance.id)
                guard isIdempotent, !resent else {
                    throw DouyinError(.serviceUnavailable, "\(service.rawValue) service unavailable")
                }
                resent = true
            }
        }
    }

    /// Writes one call and returns its reply.
    ///
    /// The channel may close between being picked and this write; its handler, which
    /// completes the reply, is then gone, so the failed write fails the call instead
    /// of leaving it waiting forever. A call the handler took is completed by it alone.
    static func exchange(_ frame: RPCFrame, timeout: TimeAmount, on channel: any Channel) -> EventLoopFuture<RPCFrame> {
        let promise = channel.eventLoop.makePromise(of: RPCFrame.self)
        channel.writeAndFlush(RPCOutboundCall(frame: frame, promise: promise, timeout: timeout)).whenFailure { _ in
            promise.fail(RPCTransportError.connectionClosed)
        }
        return promise.futureResult
    }

    /// One of the instance's connections, opened on first use: the caller's event
    /// loop's own (so the call and its reply stay on that loop), or for callers off
    /// the loops one of `connectionsPerInstance` shared ones.
    private func connection(to instance: ServiceInstance) async throws -> any Channel {
        let eventLoop = MultiThreadedEventLoopGroup.currentEventLoop
        let key = ConnectionKey(
            instance: instance.id,
            slot: eventLoop.map { .loop(ObjectIdentifier($0)) } ?? .shared(IdentifierRandom.next() % UInt64(connectionsPerInstance))
        )
        let (connection, isNew) = connections.withLockedValue { open -> (Connection, Bool) in
            if let existing = open[key] { return (existing, false) }
            let connection = Connection(future: connect(to: instance, on: eventLoop ?? group.next()))
            open[key] = connection
            return (connection, true)
        }
        if isNew {
            // Once per connection: remember the channel; forget it when it closes, so the next
            // call reconnects. Outside the lock: a connect that completes at once runs these at once.
            let future = connection.future
            future.whenSuccess { [weak self] channel in
                self?.connected(key, future, channel)
                channel.closeFuture.whenComplete { [weak self] _ in self?.drop(key, future) }
            }
        }
        do {
            // An open connection is taken as it is: awaiting its completed future would still suspend the call.
            let channel: any Channel
            if let open = connection.channel { channel = open } else { channel = try await connection.future.get() }
            guard channel.isActive else {
                drop(key, connection.future)
                throw RPCTransportError.connectionClosed
            }
            return channel
        } catch {
            drop(key, connection.future)
            throw error
        }
    }

    /// Over the instance's Unix socket when it is on this node, else (or if that fails) over TCP.
    private func connect(to instance: ServiceInstance, on eventLoop: any EventLoop) -> EventLoopFuture<any Channel> {
        let tcp = { [connectTimeout] in
            Self.bootstrap(on: eventLoop, connectTimeout: connectTimeout)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .connect(host: instance.host, port: instance.rpcPort)
        }
        guard let socket = instance.localRPCSocket else { return tcp() }
        return Self.bootstrap(on: eventLoop, connectTimeout: connectTimeout)
            .connect(unixDomainSocketPath: socket)
            .flatMapError { _ in tcp() }
    }

    private static func bootstrap(on eventLoop: any EventLoop, connectTimeout: TimeAmount) -> ClientBootstrap {
        ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RPCFrameCodec()))
                    try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(RPCFrameCodec()))
                    try channel.pipeline.syncOperations.addHandler(RPCClientHandler())
                }
            }
    }

    private func connected(_ key: ConnectionKey, _ future: EventLoopFuture<any Channel>, _ channel: any Channel) {
        connections.withLockedValue { open in
            if open[key]?.future === future { open[key]?.channel = channel }
        }
    }

    private func drop(_ key: ConnectionKey, _ future: EventLoopFuture<any Channel>) {
        connections.withLockedValue { open in
            if open[key]?.future === future { open[key] = nil }
        }
    }

    private func forget(_ instanceID: String) {
        let closing = connections.withLockedValue { open -> [EventLoopFuture<any Channel>] in
            let keys = open.keys.filter { $0.instance == instanceID }
            return keys.compactMap { open.removeValue(forKey: $0)?.future }
        }
        for future in closing { future.whenSuccess { $0.close(promise: nil) } }
    }

    /// Closes every connection.
    public func shutdown() async {
        let all = connections.withLockedValue { open in
            defer { open = [:] }
            return open.values.map(\.future)
        }
        for future in all { try? await future.get().close() }
    }
}
