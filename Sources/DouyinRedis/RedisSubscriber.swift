import Foundation
import Logging
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// A message received on a subscribed channel.
public struct RedisMessage: Sendable, Equatable {
    public var channel: String
    public var payload: [UInt8]

    public init(channel: String, payload: [UInt8]) {
        self.channel = channel
        self.payload = payload
    }
}

/// Subscribes to channels on a connection of its own, on a thread of its own.
///
/// A subscribed connection can do nothing but wait for messages, so it lives
/// outside the command pool. It reconnects and resubscribes after any failure,
/// with backoff, until `stop()`. Messages published while it is disconnected
/// are lost (Redis pub/sub is fire and forget), so users pair it with polling.
///
/// Channels can be added and dropped while it runs (`subscribe`, `unsubscribe`):
/// a process then hears only what it has a use for, rather than every message
/// of every instance.
public final class RedisSubscriber: Sendable {
    private let configuration: RedisConfiguration
    private let logger: Logger
    private let state: NIOLockedValueBox<State>
    /// A pipe whose read end wakes the thread's wait for replies when there are commands to send.
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let continuation: AsyncStream<RedisMessage>.Continuation
    /// Messages in arrival order.
    public let messages: AsyncStream<RedisMessage>

    private struct State {
        var stopped = false
        var connected = false
        /// Subscribed on every connection.
        var wanted: Set<String>
        /// Confirmed by Redis on the current connection.
        var confirmed: Set<String> = []
        /// SUBSCRIBE and UNSUBSCRIBE commands for the thread to send on the current connection.
        var outgoing: [[String]] = []
        /// Callers of `subscribe` waiting for Redis to confirm their channel, by channel and caller.
        var waiters: [String: [UInt64: CheckedContinuation<Void, Never>]] = [:]
        var lastWaiter: UInt64 = 0

        mutating func takeWaiters() -> [CheckedContinuation<Void, Never>] {
            defer { waiters.removeAll() }
            return waiters.values.flatMap(\.values)
        }
    }

    public init(_ configuration: RedisConfiguration, channels: [String] = [], logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.state = NIOLockedValueBox(State(wanted: Set(channels)))
        var descriptors: [Int32] = [-1, -1]
        precondition(pipe(&descriptors) == 0, "cannot create a pipe: \(errno)")
        for descriptor in descriptors { _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK) }
        (wakeRead, wakeWrite) = (descriptors[0], descriptors[1])
        (messages, continuation) = AsyncStream.makeStream(of: RedisMessage.self, bufferingPolicy: .bufferingNewest(1024))
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    /// Starts the subscriber thread.
    public func start() {
        let thread = Thread { [self] in self.loop() }
        thread.name = "redis-subscriber"
        thread.start()
    }

    public func stop() {
        let waiters = state.withLockedValue { state in
            state.stopped = true
            return state.takeWaiters()
        }
        for waiter in waiters { waiter.resume() }
        wake()
    }

    /// Adds a channel. Returns once Redis has confirmed it, so a message published
    /// after that is heard; while not connected, once a connection has subscribed to it;
    /// at the latest after `wait` (a Redis that is away or stopped answering does not
    /// hold the caller) or when the connection fails.
    public func subscribe(_ channel: String, waitingAtMost wait: Duration = .seconds(2)) async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let id: UInt64? = state.withLockedValue { state in
                guard !state.confirmed.contains(channel) else { return nil }
                if state.wanted.insert(channel).inserted, state.connected { state.outgoing.append(["SUBSCRIBE", channel]) }
                guard !state.stopped else { return nil }
                state.lastWaiter += 1
                state.waiters[channel, default: [:]][state.lastWaiter] = waiter
                return state.lastWaiter
            }
            guard let id else { return waiter.resume() }
            wake()
            Task { [state] in
                try? await Task.sleep(for: wait)
                state.withLockedValue { state in
                    defer { if state.waiters[channel]?.isEmpty == true { state.waiters[channel] = nil } }
                    return state.waiters[channel]?.removeValue(forKey: id)
                }?.resume()
            }
        }
    }

    /// Drops a channel: its messages stop arriving shortly after.
    public func unsubscribe(_ channel: String) {
        let sends = state.withLockedValue { state in
            guard state.wanted.remove(channel) != nil else { return false }
            state.confirmed.remove(channel)
            guard state.connected else { return false }
            state.outgoing.append(["UNSUBSCRIBE", channel])
            return true
        }
        if sends { wake() }
    }

    private var isStopped: Bool { state.withLockedValue { $0.stopped } }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)  // a full pipe already wakes the thread
    }

    private func drainWakes() {
        var bytes = [UInt8](repeating: 0, count: 64)
        while read(wakeRead, &bytes, bytes.count) > 0 {}
    }

    private func loop() {
        var backoff = 0.05
        // On a cluster any node hears every PUBLISH: the seeds are tried in turn.
        let nodes = configuration.seeds
        var attempt = 0
        while !isStopped {
            do {
                let node = nodes[attempt % nodes.count]
                attempt += 1
                let connection = try RedisConnection(host: node.host, port: node.port, timeout: configuration.timeout)
                defer { connection.close() }
                if let credentials = configuration.credentials, case .error(let message) = try connection.send(credentials.command) {
                    throw RedisError.authentication(message)
                }
                let channels = state.withLockedValue { state in
                    state.connected = true
                    state.outgoing.removeAll()
                    return state.wanted
                }
                defer { disconnected() }
                if !channels.isEmpty {
                    try connection.append(["SUBSCRIBE"] + channels.sorted().map { $0 as any RedisArgument })
                    try connection.flush()
                }
                backoff = 0.05
                while !isStopped {
                    // Short waits let the loop notice `stop()` promptly.
                    let reply = try connection.nextReply(within: .milliseconds(250), wake: wakeRead)
                    drainWakes()
                    let commands = state.withLockedValue { state in
                        defer { state.outgoing.removeAll() }
                        return state.outgoing
                    }
                    if !commands.isEmpty {
                        for command in commands { try connection.append(command.map { $0 as any RedisArgument }) }
                        try connection.flush()
                    }
                    if let reply { handle(reply) }
                }
            } catch {
                guard !isStopped else { break }
                logger.warning("redis subscriber disconnected", metadata: ["error": "\(error)"])
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(backoff * 2, 2)
            }
        }
        continuation.finish()
    }

    private func handle(_ reply: RedisValue) {
        guard let parts = reply.array, parts.count == 3, let kind = parts[0].string, let channel = parts[1].string else { return }
        switch (kind, parts[2]) {
        case ("message", .bulk(let payload)):
            continuation.yield(RedisMessage(channel: channel, payload: payload))
        case ("subscribe", _):
            let waiters = state.withLockedValue { state in
                if state.wanted.contains(channel) { state.confirmed.insert(channel) }
                return Array((state.waiters.removeValue(forKey: channel) ?? [:]).values)
            }
            for waiter in waiters { waiter.resume() }
        default:
            break
        }
    }

    /// The connection is gone: nothing is confirmed, and no caller waits for it.
    private func disconnected() {
        let waiters = state.withLockedValue { state in
            state.connected = false
            state.confirmed.removeAll()
            return state.takeWaiters()
        }
        for waiter in waiters { waiter.resume() }
    }
}
