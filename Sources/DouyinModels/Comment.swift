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
