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
    /// The HLS master playlist, empty until the renditions are made (an extension).
    public var hlsURL: String
    /// A cover sized for lists, empty until made with the renditions (an extension).
    public var coverSmallURL: String

    public init(
        id: Int64, author: User, playURL: String, coverURL: String, favoriteCount: Int64, commentCount: Int64,
        isFavorite: Bool, title: String, hlsURL: String = "", coverSmallURL: String = ""
    ) {
        self.id = id
        self.author = author
        self.playURL = playURL
        self.coverURL = coverURL
        self.favoriteCount = favoriteCount
        self.commentCount = commentCount
        self.isFavorite = isFavorite
        self.title = title
        self.hlsURL = hlsURL
        self.coverSmallURL = coverSmallURL
    }

    enum CodingKeys: String, CodingKey {
        case id, author, title
        case playURL = "play_url"
        case coverURL = "cover_url"
        case favoriteCount = "favorite_count"
        case commentCount = "comment_count"
        case isFavorite = "is_favorite"
        case hlsURL = "hls_url"
        case coverSmallURL = "cover_small_url"
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

extension Video: JSONObjectWritable {
    public var jsonSizeHint: Int {
        200 + playURL.utf8.count + coverURL.utf8.count + title.utf8.count + hlsURL.utf8.count + coverSmallURL.utf8.count
            + author.jsonSizeHint
    }

    public func writeFields(to writer: inout JSONWriter) {
        writer.field("id", id)
        writer.field("author", author)
        writer.field("play_url", playURL)
        writer.field("cover_url", coverURL)
        writer.field("favorite_count", favoriteCount)
        writer.field("comment_count", commentCount)
        writer.field("is_favorite", isFavorite)
        writer.field("title", title)
        writer.field("hls_url", hlsURL)
        writer.field("cover_small_url", coverSmallURL)
    }
}

extension FeedResponse: JSONObjectWritable {
    public var jsonSizeHint: Int { videoList.reduce(64) { $0 + $1.jsonSizeHint } }

    public func writeFields(to writer: inout JSONWriter) {
        writer.field("next_time", nextTime)
        writer.field("video_list", videoList)
    }
}
