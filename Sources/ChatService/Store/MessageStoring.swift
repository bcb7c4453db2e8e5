import DouyinModels

/// What the chat rules need from the message tables (`MessageStore`).
///
/// A stored message's `createTime` is strictly later than the previous message of
/// its conversation, so a conversation has one order on every instance.
public protocol MessageStoring: Sendable {
    func send(from sender: UserID, to recipient: UserID, content: String) async throws -> Message
    /// Messages between `a` and `b` created after `after`, oldest first.
    func history(between a: UserID, and b: UserID, after: Int64, limit: Int) async throws -> [Message]
    /// The newest message of each conversation between `user` and one of `peers`.
    func latest(of user: UserID, with peers: [UserID]) async throws -> [UserID: Message]
}

extension MessageStore: MessageStoring {}
