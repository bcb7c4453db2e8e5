import Foundation
import Logging
import NIOConcurrencyHelpers

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
public final class RedisSubscriber: Sendable {
    private let configuration: RedisConfiguration
    private let channels: [String]
    private let logger: Logger
    private let stopped = NIOLockedValueBox(false)
    private let continuation: AsyncStream<RedisMessage>.Continuation
    /// Messages in arrival order.
    public let messages: AsyncStream<RedisMessage>

    public init(_ configuration: RedisConfiguration, channels: [String], logger: Logger) {
        self.configuration = configuration
        self.channels = channels
        self.logger = logger
        (messages, continuation) = AsyncStream.makeStream(of: RedisMessage.self, bufferingPolicy: .bufferingNewest(1024))
    }

    /// Starts the subscriber thread.
    public func start() {
        let thread = Thread { [self] in self.loop() }
        thread.name = "redis-subscriber"
        thread.start()
    }

    public func stop() {
        stopped.withLockedValue { $0 = true }
    }

    private var isStopped: Bool { stopped.withLockedValue { $0 } }

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
                try connection.append(["SUBSCRIBE"] + channels.map { $0 as any RedisArgument })
                for _ in channels { _ = try connection.readReply() }
                backoff = 0.05
                while !isStopped {
                    // Short waits let the loop notice `stop()` promptly.
                    guard let reply = try connection.nextReply(within: .milliseconds(250)) else { continue }
                    if let parts = reply.array, parts.count == 3, parts[0].string == "message",
                        let channel = parts[1].string, case .bulk(let payload) = parts[2]
                    {
                        continuation.yield(RedisMessage(channel: channel, payload: payload))
                    }
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
}
