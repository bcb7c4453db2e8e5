import DouyinModels
import NIOConcurrencyHelpers
@testable import ChatService

/// The message tables in memory, with `MessageStore`'s clock rule: a message's time is
/// the clock's, moved past the conversation's previous message.
final class InMemoryMessages: MessageStoring {
    private struct Tables {
        var messages: [Message] = []
        var lastTime: [Set<UserID>: Int64] = [:]
    }

    private let tables = NIOLockedValueBox(Tables())
    /// The clock in ms; tests hold it still to make messages share a millisecond.
    let now: @Sendable () -> Int64

    init(now: @escaping @Sendable () -> Int64 = { 1_000 }) {
        self.now = now
    }

    func send(from sender: UserID, to recipient: UserID, content: String) async throws -> Message {
        tables.withLockedValue { tables in
            let conversation: Set<UserID> = [sender, recipient]
            let time = max(now(), (tables.lastTime[conversation] ?? .min) + 1)
            tables.lastTime[conversation] = time
            let message = Message(
                id: Int64(tables.messages.count + 1), toUserID: recipient, fromUserID: sender, content: content, createTime: time
            )
            tables.messages.append(message)
            return message
        }
    }

    func history(between a: UserID, and b: UserID, after: Int64, limit: Int) async throws -> [Message] {
        tables.withLockedValue { tables in
            Array(tables.messages.filter { Set([$0.fromUserID, $0.toUserID]) == [a, b] && $0.createTime > after }
                .sorted { $0.createTime < $1.createTime }.prefix(limit))
        }
    }

    func latest(of user: UserID, with peers: [UserID]) async throws -> [UserID: Message] {
        tables.withLockedValue { tables in
            var latest: [UserID: Message] = [:]
            for message in tables.messages {
                let peer = message.fromUserID == user ? message.toUserID : message.fromUserID
                guard [message.fromUserID, message.toUserID].contains(user), peers.contains(peer) else { continue }
                if (latest[peer]?.createTime ?? .min) < message.createTime { latest[peer] = message }
            }
            return latest
        }
    }
}

/// Delivery within this process, as the Redis feed ends: straight to the recipient's sockets.
/// Records what it carried, in order.
final class LocalDelivery: MessagePublishing {
    let sessions: LiveSessions
    let published = NIOLockedValueBox<[Message]>([])

    init(sessions: LiveSessions) {
        self.sessions = sessions
    }

    func publish(_ message: Message) async {
        published.withLockedValue { $0.append(message) }
        sessions.deliver({ ChatSocket.json(message) }, to: message.toUserID)
    }

    func listen(for user: UserID) async {}
}
