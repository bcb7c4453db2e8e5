/// A user in the friend list: every User field, plus the latest message exchanged (API.md 4).
public struct FriendUser: Codable, Sendable, Equatable {
    public var user: User
    public var message: String
    /// 0: the latest message was received by the requester; 1: sent by the requester.
    public var messageType: Int

    public init(user: User, message: String = "", messageType: Int = 0) {
        self.user = user
        self.message = message
        self.messageType = messageType
    }

    enum CodingKeys: String, CodingKey {
        case message
        case messageType = "msgType"
    }

    public init(from decoder: any Decoder) throws {
        user = try User(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        message = try container.decode(String.self, forKey: .message)
        messageType = try container.decode(Int.self, forKey: .messageType)
    }

    public func encode(to encoder: any Encoder) throws {
        try user.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(message, forKey: .message)
        try container.encode(messageType, forKey: .messageType)
    }
}

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

/// Follow, follower and friend lists.
public struct UserListResponse<Item: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var userList: [Item]
    public var nextCursor: String

    public init(userList: [Item], nextCursor: String) {
        self.userList = userList
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey {
        case userList = "user_list"
        case nextCursor = "next_cursor"
    }
}

/// `GET /douyin/message/chat/`.
public struct MessageListResponse: Codable, Sendable, Equatable {
    public var messageList: [Message]
    public var nextCursor: String

    public init(messageList: [Message], nextCursor: String) {
        self.messageList = messageList
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey {
        case messageList = "message_list"
        case nextCursor = "next_cursor"
    }
}

/// A published video (API.md 4).
public struct Video: Codable, Sendable, Equatable {
    public var id: Int64
    public var author: User
    public var playURL: String
    public var coverURL: String
    public var favoriteCount: Int64
    public var commentCount: Int64
    public var isFavorite: Bool
    public var title: String

    public init(
        id: Int64, author: User, playURL: String, coverURL: String, favoriteCount: Int64, commentCount: Int64,
        isFavorite: Bool, title: String
    ) {
        self.id = id
        self.author = author
        self.playURL = playURL
        self.coverURL = coverURL
        self.favoriteCount = favoriteCount
        self.commentCount = commentCount
        self.isFavorite = isFavorite
        self.title = title
    }

    enum CodingKeys: String, CodingKey {
        case id, author, title
        case playURL = "play_url"
        case coverURL = "cover_url"
        case favoriteCount = "favorite_count"
        case commentCount = "comment_count"
        case isFavorite = "is_favorite"
    }
}

/// `GET /douyin/feed/`.
public struct FeedResponse: Codable, Sendable, Equatable {
    public var nextTime: Int64
    public var videoList: [Video]

    public init(nextTime: Int64, videoList: [Video]) {
        self.nextTime = nextTime
        self.videoList = videoList
    }

    enum CodingKeys: String, CodingKey {
        case nextTime = "next_time"
        case videoList = "video_list"
    }
}

/// Publish and favorite lists.
public struct VideoListResponse: Codable, Sendable, Equatable {
    public var videoList: [Video]
    public var nextCursor: String

    public init(videoList: [Video], nextCursor: String) {
        self.videoList = videoList
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey {
        case videoList = "video_list"
        case nextCursor = "next_cursor"
    }
}

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

/// `GET /douyin/comment/list/`.
public struct CommentListResponse: Codable, Sendable, Equatable {
    public var commentList: [Comment]
    public var nextCursor: String

    public init(commentList: [Comment], nextCursor: String) {
        self.commentList = commentList
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey {
        case commentList = "comment_list"
        case nextCursor = "next_cursor"
    }
}
