import DouyinNIO
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Synchronization

/// The Redis client services use: one pipelined connection per event loop (and per
/// node, on a cluster), driven by the event loop itself, replies parsed by hiredis.
///
/// A command is written on the connection of the event loop the caller runs on
/// (a request's handler runs on its connection's loop), so asking Redis costs no
/// thread hand-off and never blocks: the loop serves other requests until the
/// reply arrives. Any number of callers share a connection; their commands are
/// pipelined. Commands time out after `timeout`. A connection that fails is
/// replaced on next use; a command that found its reused connection dead (a
/// server restart while it sat idle) is sent once more on a new one.
///
/// On a Redis Cluster (`RedisConfiguration.clusterNodes`) each command goes to the
/// node that serves its key's slot (`RedisClient+Cluster.swift`).
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration
    /// Where callers off the event loops (background tasks) send: one loop, so they share one connection.
    private let offLoop: any EventLoop
    private let connections = NIOLockedValueBox(Connections())
    private let inFlight = Atomic<Int>(0)
    /// The cluster's slot map, on a cluster.
    let topology: RedisClusterTopology?

    private struct ConnectionKey: Hashable {
        let node: RedisNode
        let loop: ObjectIdentifier
    }

    /// Each event loop's connection to each node, while it connects and while it is open.
    private struct Connections {
        var open: [ConnectionKey: Slot] = [:]
        var isShutDown = false
    }

    private final class Slot: Sendable {
        let channel: EventLoopFuture<any Channel>
        init(_ channel: EventLoopFuture<any Channel>) { self.channel = channel }

        /// Set once connected.
        let connected = NIOLockedValueBox<(any Channel)?>(nil)

        /// Connected once but no longer open (its close may not have been reported yet).
        var isClosed: Bool { connected.withLockedValue { $0.map { !$0.isActive } ?? false } }
    }

    public init(_ configuration: RedisConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.offLoop = group.next()
        self.topology = configuration.isCluster ? RedisClusterTopology(seeds: configuration.clusterNodes) : nil
    }

    /// Numbers for metrics: connections open, requests awaiting replies, and (always 0) callers waiting for a connection.
    public var usage: (open: Int, leased: Int, waiting: Int) {
        (connections.withLockedValue { $0.open.count }, inFlight.load(ordering: .relaxed), 0)
    }

    /// Sends one command. An error reply throws `RedisError.reply`.
    @discardableResult
    public func send(_ arguments: any RedisArgument...) async throws -> RedisValue {
        try await send(arguments)
    }

    @discardableResult
    public func send(_ arguments: [any RedisArgument]) async throws -> RedisValue {
        let reply = try await pipeline([arguments])[0]
        if case .error(let message) = reply { throw RedisError.reply(message) }
        return reply
    }

    /// Sends several commands in one write (one per node, on a cluster) and returns their
    /// replies in order; error replies are returned in place, not thrown.
    public func pipeline(_ commands: [[any RedisArgument]]) async throws -> [RedisValue] {
        guard !commands.isEmpty else { return [] }
        inFlight.add(1, ordering: .relaxed)
        defer { inFlight.subtract(1, ordering: .relaxed) }
        let eventLoop = MultiThreadedEventLoopGroup.currentEventLoop ?? offLoop
        if let topology {
            return try await clusterPipeline(commands, topology: topology, on: eventLoop)
        }
        do {
            return try await exchange(commands, with: configuration.seeds[0], on: eventLoop)
        } catch let unreachable as NodeUnreachable {
            throw RedisError.connection(unreachable.message)
        }
    }

    /// Closes every connection; later commands fail.
    public func shutdown() async {
        let slots = connections.withLockedValue { connections in
            connections.isShutDown = true
            defer { connections.open = [:] }
            return Array(connections.open.values)
        }
        for slot in slots {
            try? await slot.channel.get().close()
        }
    }

    /// A node that could not be connected to: nothing was sent to it.
    struct NodeUnreachable: Error, CustomStringConvertible {
        let node: RedisNode
        let message: String
        var description: String { message }
    }

    /// `commands` in one write to `node` on `eventLoop`'s connection, their replies in order.
    /// Throws `NodeUnreachable` when no connection could be made (nothing was sent).
    func exchange(_ commands: [[any RedisArgument]], with node: RedisNode, on eventLoop: any EventLoop) async throws -> [RedisValue] {
        var payload = ByteBuffer()
        for command in commands { payload.writeRedisCommand(command) }
        let (channel, fresh) = try await connection(to: node, on: eventLoop)
        do {
            return try await send(payload, count: commands.count, on: channel)
        } catch let lost as RedisConnectionLost where !fresh || !lost.sent {
            // The reused connection had died while idle: the server cannot have run
            // the commands. One more try, on a new connection.
            let (channel, _) = try await connection(to: node, on: eventLoop)
            do {
                return try await send(payload, count: commands.count, on: channel)
            } catch is RedisConnectionLost {
                throw RedisError.connection("connection to \(node) lost")
            }
        } catch is RedisConnectionLost {
            throw RedisError.connection("connection to \(node) lost")
        }
    }

    private func send(_ payload: ByteBuffer, count: Int, on channel: any Channel) async throws -> [RedisValue] {
        let promise = channel.eventLoop.makePromise(of: [RedisValue].self)
        let request = RedisRequest(payload: payload, count: count, promise: promise, timeout: TimeAmount(configuration.timeout))
        // A closed channel has no handlers left to answer the request: the failed write does.
        channel.writeAndFlush(request).whenFailure { _ in promise.fail(RedisConnectionLost(sent: true)) }
        return try await promise.futureResult.get()
    }

    /// The event loop's open connection to `node`, connecting one if there is none;
    /// `fresh` when this call started the connect.
    private func connection(to node: RedisNode, on eventLoop: any EventLoop) async throws -> (any Channel, fresh: Bool) {
        let key = ConnectionKey(node: node, loop: ObjectIdentifier(eventLoop))
        let (slot, fresh) = try connections.withLockedValue { connections -> (Slot, Bool) in
            guard !connections.isShutDown else { throw RedisError.connection("client shut down") }
            if let slot = connections.open[key], !slot.isClosed { return (slot, false) }
            let slot = Slot(connect(to: node, on: eventLoop))
            connections.open[key] = slot
            return (slot, true)
        }
        if fresh {
            // Forget the connection once it fails to open or closes, so the next call reconnects.
            let forget: @Sendable () -> Void = { [connections] in
                connections.withLockedValue { if $0.open[key] === slot { $0.open[key] = nil } }
            }
            slot.channel.whenComplete { result in
                switch result {
                case .success(let channel):
                    slot.connected.withLockedValue { $0 = channel }
                    channel.closeFuture.whenComplete { _ in forget() }
                case .failure: forget()
                }
            }
        }
        do {
            return (try await slot.channel.get(), fresh)
        } catch let error as RedisError {
            throw error
        } catch {
            // NIO's error lists every address tried; the first cause says enough.
            let cause = (error as? NIOConnectionError)?.connectionErrors.first.map { "\($0.error)" } ?? "\(error)"
            throw NodeUnreachable(node: node, message: "cannot connect to \(node): \(cause)")
        }
    }

    private func connect(to node: RedisNode, on eventLoop: any EventLoop) -> EventLoopFuture<any Channel> {
        let connected = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(configuration.timeout))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(FlushCoalescingHandler(), RedisReplyDecoder(), RedisPipelineHandler())
                }
            }
            .connect(host: node.host, port: node.port)
        guard let credentials = configuration.credentials else { return connected }
        // Usable only once the server took the credentials: every new connection, reconnects included.
        return connected.flatMap { [timeout = configuration.timeout] channel in
            var payload = ByteBuffer()
            payload.writeRedisCommand(credentials.command)
            let promise = channel.eventLoop.makePromise(of: [RedisValue].self)
            channel.writeAndFlush(RedisRequest(payload: payload, count: 1, promise: promise, timeout: TimeAmount(timeout)))
                .whenFailure { _ in promise.fail(RedisError.connection("connection lost while authenticating")) }
            return promise.futureResult.flatMapThrowing { replies in
                if case .error(let message) = replies.first {
                    channel.close(promise: nil)
                    throw RedisError.authentication(message)
                }
                return channel
            }
        }
    }
}
