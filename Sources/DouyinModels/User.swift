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

extension User: JSONObjectWritable {
    public var jsonSizeHint: Int {
        240 + name.utf8.count + avatar.utf8.count + backgroundImage.utf8.count + signature.utf8.count
    }

    public func writeFields(to writer: inout JSONWriter) {
        writer.field("id", id)
        writer.field("name", name)
        writer.field("follow_count", followCount)
        writer.field("follower_count", followerCount)
        writer.field("is_follow", isFollow)
        writer.field("avatar", avatar)
        writer.field("background_image", backgroundImage)
        writer.field("signature", signature)
        writer.field("total_favorited", totalFavorited)
        writer.field("work_count", workCount)
        writer.field("favorite_count", favoriteCount)
    }
}

extension UserResponse: JSONObjectWritable {
    public func writeFields(to writer: inout JSONWriter) {
        writer.field("user", user)
    }
}

extension User: BinaryCodable {
    public init(binary reader: inout BinaryReader) throws(BinaryReader.Malformed) {
        self.init(
            id: try reader.int(), name: try reader.string(), followCount: try reader.int(), followerCount: try reader.int(),
            isFollow: try reader.bool(), avatar: try reader.string(), backgroundImage: try reader.string(),
            signature: try reader.string(), totalFavorited: try reader.int(), workCount: try reader.int(),
            favoriteCount: try reader.int()
        )
    }

    public func write(binary writer: inout BinaryWriter) {
        writer.int(id)
        writer.string(name)
        writer.int(followCount)
        writer.int(followerCount)
        writer.bool(isFollow)
        writer.string(avatar)
        writer.string(backgroundImage)
        writer.string(signature)
        writer.int(totalFavorited)
        writer.int(workCount)
        writer.int(favoriteCount)
    }
}
