import DouyinModels
import DouyinRedis
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
            try await redis.send("PUBLISH", Self.channel, Self.payload(message))
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
            for await event in subscriber.messages {
                guard let (recipient, frame) = Self.parse(event.payload) else { continue }
                sessions.deliver(frame, to: recipient)
            }
        }
    }

    /// The recipient's id, a space, then the socket frame (the message's JSON): every
    /// process hears every message, and most have no socket of its recipient, so they
    /// skip it after reading a number instead of decoding the JSON.
    static func payload(_ message: Message) -> String {
        var writer = JSONWriter(capacity: 96 + message.content.utf8.count)
        writer.object(message.writeFields)
        return "\(message.toUserID) " + String(decoding: writer.bytes, as: UTF8.self)
    }

    static func parse(_ payload: [UInt8]) -> (UserID, frame: () -> String)? {
        guard let space = payload.firstIndex(of: UInt8(ascii: " ")),
              let recipient = UserID(String(decoding: payload[..<space], as: UTF8.self))
        else { return nil }
        return (recipient, { String(decoding: payload[(space + 1)...], as: UTF8.self) })
    }
}
