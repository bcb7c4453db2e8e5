/// A user identifier: a positive integer below 2^53 (API.md 1.2).
public typealias UserID = Int64

/// The public User object (API.md section 4).
public struct User: Codable, Sendable, Equatable {
    public var id: UserID
    public var name: String
    public var followCount: Int64
    public var followerCount: Int64
    public var isFollow: Bool
    public var avatar: String
    public var backgroundImage: String
    public var signature: String
    public var totalFavorited: Int64
    public var workCount: Int64
    public var favoriteCount: Int64

    public init(
        id: UserID, name: String, followCount: Int64 = 0, followerCount: Int64 = 0, isFollow: Bool = false,
        avatar: String = "", backgroundImage: String = "", signature: String = "",
        totalFavorited: Int64 = 0, workCount: Int64 = 0, favoriteCount: Int64 = 0
    ) {
        self.id = id
        self.name = name
        self.followCount = followCount
        self.followerCount = followerCount
        self.isFollow = isFollow
        self.avatar = avatar
        self.backgroundImage = backgroundImage
        self.signature = signature
        self.totalFavorited = totalFavorited
        self.workCount = workCount
        self.favoriteCount = favoriteCount
    }

    enum CodingKeys: String, CodingKey {
        case id, name, avatar, signature
        case followCount = "follow_count"
        case followerCount = "follower_count"
        case isFollow = "is_follow"
        case backgroundImage = "background_image"
        case totalFavorited = "total_favorited"
        case workCount = "work_count"
        case favoriteCount = "favorite_count"
    }
}

/// Per-user counters owned by the video service (videos published, likes).
public struct UserVideoStats: Codable, Sendable, Equatable {
    public var workCount: Int64
    public var totalFavorited: Int64
    public var favoriteCount: Int64

    public init(workCount: Int64 = 0, totalFavorited: Int64 = 0, favoriteCount: Int64 = 0) {
        self.workCount = workCount
        self.totalFavorited = totalFavorited
        self.favoriteCount = favoriteCount
    }

    public static let zero = UserVideoStats()
}
