/// A comment (API.md 4).
public struct Comment: Codable, Sendable, Equatable {
    public var id: Int64
    public var user: User
    public var content: String
    /// `MM-DD` in UTC+08:00.
    public var createDate: String

    public init(id: Int64, user: User, content: String, createDate: String) {
        self.id = id
        self.user = user
        self.content = content
        self.createDate = createDate
    }

    enum CodingKeys: String, CodingKey {
        case id, user, content
        case createDate = "create_date"
    }
}

/// `POST /douyin/comment/action/`.
public struct CommentResponse: Codable, Sendable, Equatable {
    public var comment: Comment
    public init(comment: Comment) { self.comment = comment }
}

extension Comment: JSONObjectWritable {
    public var jsonSizeHint: Int { 80 + content.utf8.count + user.jsonSizeHint }

    public func writeFields(to writer: inout JSONWriter) {
        writer.field("id", id)
        writer.field("user", user)
        writer.field("content", content)
        writer.field("create_date", createDate)
    }
}

extension CommentResponse: JSONObjectWritable {
    public func writeFields(to writer: inout JSONWriter) {
        writer.field("comment", comment)
    }
}
