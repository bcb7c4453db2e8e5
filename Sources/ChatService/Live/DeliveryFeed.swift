import DouyinModels
import DouyinRedis
import Foundation
import Logging
import ServiceLifecycle

/// Carries a stored message to the live sockets of its recipient, wherever they are connected.
/// Best effort: a failure is logged, never thrown (the message is stored already).
public protocol MessagePublishing: Sendable {
    func publish(_ message: Message) async
}

/// Carries every new message to the chat process that holds the recipient's sockets.
///
/// Each process publishes stored messages on one Redis channel and delivers
/// what it hears to its own sockets, so users connected to different instances
/// talk in real time. Pub/sub is best effort: a message missed while Redis is
/// away is still stored and shows up in the next history poll.
public struct DeliveryFeed: Service, MessagePublishing {
    public static let channel = "douyin:chat:deliveries"

    let redis: RedisClient
    let sessions: LiveSessions
    let logger: Logger

    public init(redis: RedisClient, sessions: LiveSessions, logger: Logger) {
        self.redis = redis
        self.sessions = sessions
        self.logger = logger
    }

    public func publish(_ message: Message) async {
        do {
            let json = String(decoding: try JSONEncoder().encode(message), as: UTF8.self)
            try await redis.send("PUBLISH", Self.channel, json)
        } catch {
            logger.warning("cannot publish a message for live delivery", metadata: ["error": "\(error)"])
        }
    }

    public func run() async throws {
        let subscriber = RedisSubscriber(redis.configuration, channels: [Self.channel], logger: logger)
        subscriber.start()
        defer {
            subscriber.stop()
            sessions.closeAll()
        }
        await cancelWhenGracefulShutdown {
            let decoder = JSONDecoder()
            for await event in subscriber.messages {
                guard let message = try? decoder.decode(Message.self, from: Data(event.payload)) else { continue }
                sessions.deliver(String(decoding: event.payload, as: UTF8.self), to: message.toUserID)
            }
        }
    }
}
