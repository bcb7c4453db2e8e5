/// A chat message (API.md 4).
public struct Message: Codable, Sendable, Equatable {
    public var id: Int64
    public var toUserID: UserID
    public var fromUserID: UserID
    public var content: String
    /// Unix ms; strictly increasing within a conversation.
    public var createTime: Int64

    public init(id: Int64, toUserID: UserID, fromUserID: UserID, content: String, createTime: Int64) {
        self.id = id
        self.toUserID = toUserID
        self.fromUserID = fromUserID
        self.content = content
        self.createTime = createTime
    }

    enum CodingKeys: String, CodingKey {
        case id, content
        case toUserID = "to_user_id"
        case fromUserID = "from_user_id"
        case createTime = "create_time"
    }
}

extension Message: JSONObjectWritable {
    public func writeFields(to writer: inout JSONWriter) {
        writer.field("id", id)
        writer.field("to_user_id", toUserID)
        writer.field("from_user_id", fromUserID)
        writer.field("content", content)
        writer.field("create_time", createTime)
    }
}
