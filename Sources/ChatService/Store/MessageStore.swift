import DouyinModels
import DouyinPostgres

/// Every SQL statement about messages.
public struct MessageStore: Sendable {
    let db: PostgresClient

    public init(db: PostgresClient) {
        self.db = db
    }

    /// Stores a message. Its create_time is the server clock in ms, bumped past
    /// the conversation's previous message, so times are strictly increasing
    /// within a conversation even across chat instances.
    public func send(from sender: UserID, to recipient: UserID, content: String) async throws -> Message {
        let (low, high) = (min(sender, recipient), max(sender, recipient))
        // One statement, so one round trip: the conversation's clock moves and the message takes its time.
        guard let row = try await db.write(
            """
            WITH clock AS (
                INSERT INTO chat.conversations AS c (user_low, user_high, last_time)
                VALUES (\(low), \(high), (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
                ON CONFLICT (user_low, user_high) DO UPDATE
                SET last_time = GREATEST(c.last_time + 1, EXCLUDED.last_time)
                RETURNING last_time
            )
            INSERT INTO chat.messages (user_low, user_high, from_user_id, to_user_id, content, create_time)
            SELECT \(low), \(high), \(sender), \(recipient), \(content), last_time FROM clock
            RETURNING id, create_time
            """
        ).first else { throw PostgresError.server(sqlState: "XX000", message: "the message insert returned no row") }
        let (id, time) = try row.decode(Int64.self, Int64.self)
        return Message(id: id, toUserID: recipient, fromUserID: sender, content: content, createTime: time)
    }

    /// Messages between `a` and `b` created after `after`, oldest first.
    public func history(between a: UserID, and b: UserID, after: Int64, limit: Int) async throws -> [Message] {
        try await db.query(
            """
            SELECT id, to_user_id, from_user_id, content, create_time FROM chat.messages
            WHERE user_low = \(min(a, b)) AND user_high = \(max(a, b)) AND create_time > \(after)
            ORDER BY create_time LIMIT \(limit)
            """
        ).rows.map(Self.message)
    }

    /// The newest message of each conversation between `user` and one of `peers`.
    public func latest(of user: UserID, with peers: [UserID]) async throws -> [UserID: Message] {
        guard !peers.isEmpty else { return [:] }
        var latest: [UserID: Message] = [:]
        for row in try await db.query(
            """
            SELECT p.peer, m.id, m.to_user_id, m.from_user_id, m.content, m.create_time
            FROM unnest(\(peers)::bigint[]) AS p(peer)
            CROSS JOIN LATERAL (
                SELECT * FROM chat.messages
                WHERE user_low = LEAST(\(user), p.peer) AND user_high = GREATEST(\(user), p.peer)
                ORDER BY create_time DESC LIMIT 1
            ) m
            """
        ).rows {
            let (peer, id, to, from, content, time) = try row.decode(Int64.self, Int64.self, Int64.self, Int64.self, String.self, Int64.self)
            latest[peer] = Message(id: id, toUserID: to, fromUserID: from, content: content, createTime: time)
        }
        return latest
    }

    private static func message(_ row: PostgresRow) throws -> Message {
        let (id, to, from, content, time) = try row.decode(Int64.self, Int64.self, Int64.self, String.self, Int64.self)
        return Message(id: id, toUserID: to, fromUserID: from, content: content, createTime: time)
    }
}
