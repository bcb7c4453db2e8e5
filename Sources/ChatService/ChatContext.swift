import DouyinClients
import DouyinModels

/// Everything the chat service's routes, sockets and RPC methods use, built once:
/// `ChatService.run` passes the PostgreSQL store, the user service, the Redis
/// delivery feed and version counters; unit tests pass fakes.
struct ChatContext: Sendable {
    let store: any MessageStoring
    let sessions: LiveSessions
    let messaging: Messaging
    let socket: ChatSocket

    /// - Parameters:
    ///   - existing: which of some ids name users (the user service).
    ///   - delivery: carries each stored message to the process holding the recipient's sockets,
    ///     and moves its conversation's version.
    ///   - versions: the conversations' versions, which each conversation answer names.
    ///   - answerMaxAge: how long a conversation answer may be repeated while its version holds.
    init(
        store: any MessageStoring, sessions: LiveSessions, delivery: any MessagePublishing, versions: ContentVersions,
        existing: @escaping @Sendable ([UserID]) async throws -> [UserID], knownUsers: Int, maxMessageBytes: Int,
        answerMaxAge: Duration = .seconds(5)
    ) {
        self.store = store
        self.sessions = sessions
        messaging = Messaging(
            store: store, users: KnownUsers(capacity: knownUsers, lookup: existing), feed: delivery, versions: versions, answerMaxAge: answerMaxAge
        )
        socket = ChatSocket(messaging: messaging, sessions: sessions, maxMessageBytes: maxMessageBytes)
    }
}
