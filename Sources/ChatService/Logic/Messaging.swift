import DouyinClients
import DouyinHTTP
import DouyinModels

/// Sending messages and reading a conversation (API.md 6.15, 6.16).
public struct Messaging: Sendable {
    let store: any MessageStoring
    let users: KnownUsers
    /// Also moves the conversation's version, so the gateway may repeat a conversation
    /// answer (a poll with nothing new, above all) until the next message.
    let feed: any MessagePublishing
    let versions: ContentVersions
    /// How long such an answer may be repeated at most, whatever the version says.
    let answerMaxAge: Duration

    public static let contentLength = 1...1000

    public func send(from sender: UserID, to recipient: UserID, content: String) async throws -> Message {
        guard Self.contentLength.contains(content.unicodeScalars.count) else {
            throw DouyinError.invalid("content", "must be 1 to 1000 characters")
        }
        try await requirePeer(recipient, of: sender)
        let message = try await store.send(from: sender, to: recipient, content: content)
        // Stored first: live delivery is best effort on top of durable history. Published
        // before the answer: a poll after it misses repeated answers.
        await feed.publish(message)
        return message
    }

    /// Both directions, oldest first, strictly after `page.after` or `preMessageTime`, with
    /// the conversation's version it holds for (`AnswerValidity`).
    public func conversation(of user: UserID, with peer: UserID, preMessageTime: Int64, page: Page) async throws -> APIResponse<MessageListResponse> {
        try await requirePeer(peer, of: user)
        // Read before the messages: a send racing the read has moved past it, so this answer is not repeated.
        let version = try? await versions.conversation(user, peer)
        let rows = try await store.history(between: user, and: peer, after: page.after ?? preMessageTime, limit: page.limit + 1)
        let (messages, next) = page.finish(rows) { $0.createTime }
        let validity = version.map { ContentVersions.validity(conversationOf: user, and: peer, version: $0, maxAge: answerMaxAge) }
        return APIResponse(MessageListResponse(messages, nextCursor: next), validity: validity)
    }

    private func requirePeer(_ peer: UserID, of user: UserID) async throws {
        guard peer != user else { throw DouyinError(.invalidParameter, "cannot chat with yourself") }
        guard try await users.exists(peer) else { throw DouyinError(.userNotFound) }
    }
}
