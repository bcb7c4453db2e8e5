import DouyinClients
import DouyinModels

/// Everything the chat service's routes, sockets and RPC methods use, built once:
/// `ChatService.run` passes the PostgreSQL store, the user service and the Redis
/// delivery feed; unit tests pass fakes.
struct ChatContext: Sendable {
    let store: any MessageStoring
    let sessions: LiveSessions
    let messaging: Messaging
    let socket: ChatSocket

    /// - Parameters:
    ///   - existing: which of some ids name users (the user service).
    ///   - delivery: carries each stored message to the process holding the recipient's sockets.
    init(
        store: any MessageStoring, sessions: LiveSessions, delivery: any MessagePublishing,
        existing: @escaping @Sendable ([UserID]) async throws -> [UserID], knownUsers: Int, maxMessageBytes: Int
    ) {
        self.store = store
        self.sessions = sessions
        messaging = Messaging(store: store, users: KnownUsers(capacity: knownUsers, lookup: existing), feed: delivery)
        socket = ChatSocket(messaging: messaging, sessions: sessions, maxMessageBytes: maxMessageBytes)
    }
}
