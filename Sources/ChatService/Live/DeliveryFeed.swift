import DouyinClients
import DouyinModels
import DouyinRedis
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Announces a stored message: moves its conversation's version (`ContentVersions`), so
/// answers of the conversation repeated from memory expire, and carries it to the live
/// sockets of its recipient, wherever they are connected. Best effort: a failure is
/// logged, never thrown (the message is stored already; repeated answers also expire
/// on their own).
public protocol MessagePublishing: Sendable {
    func publish(_ message: Message) async

    /// From when this returns, messages to `user` reach this process's sockets (called
    /// before a socket of `user` is accepted).
    func listen(for user: UserID) async
}

/// Carries every new message to the chat processes that hold sockets of its recipient.
///
/// A message is published on its recipient's own Redis channel, and a process
/// subscribes to the channel of each user it holds a socket of, before accepting
/// the socket. So Redis hands a message only to the processes that can deliver
/// it: none in the common case of a recipient who is not connected, rather than
/// every chat instance for every message. A channel is dropped, at a sweep every
/// half `releaseAfter`, once its user has no socket here and none was accepted in
/// the last `releaseAfter` (a client that reconnects at once finds it still there).
///
/// Pub/sub is best effort: a message missed while Redis is away is still stored
/// and shows up in the next history poll.
public struct DeliveryFeed: Service, MessagePublishing {
    static let channelPrefix = "douyin:chat:to:"

    let redis: RedisClient
    let sessions: LiveSessions
    let subscriber: RedisSubscriber
    let releaseAfter: Duration
    let logger: Logger
    /// Users whose channel is subscribed, and when a socket of theirs was last accepted.
    private let listening = NIOLockedValueBox<[UserID: ContinuousClock.Instant]>([:])

    public init(redis: RedisClient, sessions: LiveSessions, releaseAfter: Duration = .seconds(30), logger: Logger) {
        self.redis = redis
        self.sessions = sessions
        self.subscriber = RedisSubscriber(redis.configuration, logger: logger)
        self.releaseAfter = releaseAfter
        self.logger = logger
    }

    static func channel(of user: UserID) -> String { channelPrefix + String(user) }

    static func recipient(of channel: String) -> UserID? {
        guard channel.hasPrefix(channelPrefix) else { return nil }
        return UserID(channel.dropFirst(channelPrefix.count))
    }

    /// One write to Redis, the version first: on one server, a client that hears the message
    /// and asks for the conversation at once already misses the answers repeated until then
    /// (on a cluster the two commands may go to different nodes).
    public func publish(_ message: Message) async {
        do {
            let replies = try await redis.pipeline([
                ContentVersions.conversationChanged(message.fromUserID, message.toUserID),
                ["PUBLISH", Self.channel(of: message.toUserID), Self.frame(message)],
            ])
            for case .error(let reason) in replies { throw RedisError.reply(reason) }
        } catch {
            logger.warning("cannot announce a message (version, live delivery)", metadata: ["error": "\(error)"])
        }
    }

    public func listen(for user: UserID) async {
        listening.withLockedValue { $0[user] = .now }
        await subscriber.subscribe(Self.channel(of: user))
    }

    public func run() async throws {
        subscriber.start()
        defer {
            subscriber.stop()
            sessions.closeAll()
        }
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await event in subscriber.messages {
                        guard let recipient = Self.recipient(of: event.channel) else { continue }
                        sessions.deliver({ String(decoding: event.payload, as: UTF8.self) }, to: recipient)
                    }
                }
                group.addTask {
                    while (try? await Task.sleep(for: releaseAfter / 2)) != nil {
                        sessions.dropUnclaimed(olderThan: releaseAfter)
                        releaseIdleChannels()
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// Drops the channels of users with no socket here and none accepted since `releaseAfter` ago.
    func releaseIdleChannels(now: ContinuousClock.Instant = .now) {
        // Under the lock, so a socket accepted meanwhile either counts here or subscribes again after.
        listening.withLockedValue { listening in
            for (user, since) in listening where since.duration(to: now) >= releaseAfter && !sessions.isOpen(for: user) {
                listening[user] = nil
                subscriber.unsubscribe(Self.channel(of: user))
            }
        }
    }

    /// The socket frame: the message's JSON.
    static func frame(_ message: Message) -> String {
        var writer = JSONWriter(capacity: 96 + message.content.utf8.count)
        writer.object(message.writeFields)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
