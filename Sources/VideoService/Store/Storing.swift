import DouyinHTTP
import DouyinModels

/// What the video rules need from the video table (`VideoStore`).
public protocol VideoStoring: Sendable {
    /// Inserts the video and counts it for its author; publish times are distinct and increasing.
    func insert(_ video: VideoStore.NewVideo) async throws -> (id: Int64, publishedAt: Int64)
    /// The newest videos published strictly before `before` (ms), newest first.
    func feed(before: Int64, limit: Int) async throws -> [VideoStore.Row]
    /// The author's videos published strictly before `before`, newest first.
    func published(by author: UserID, before: Int64, limit: Int) async throws -> [VideoStore.Row]
    /// Which of `videos` the user likes.
    func favorites(of user: UserID, among videos: [Int64]) async throws -> Set<Int64>
    func author(of video: Int64) async throws -> UserID?
    /// Deletes a video of `requester`'s with its likes and comments, taking back its counts.
    func delete(_ video: Int64, requester: UserID) async throws -> VideoStore.Deletion
    /// Videos matching a search, best first (`VideoStore.search`).
    func search(_ query: SearchQuery) async throws -> [VideoStore.Row]
}

/// What the like rules need from the like table (`FavoriteStore`).
///
/// A repeated like or unlike changes nothing; the counters move only with a row.
public protocol FavoriteStoring: Sendable {
    /// Likes or unlikes; the video's author, nil when the video does not exist.
    func set(liked: Bool, user: UserID, video: Int64) async throws -> UserID?
    /// The videos `user` likes, most recently liked first, with the like's position.
    func liked(by user: UserID, before: Int64?, limit: Int) async throws -> [(video: VideoStore.Row, position: Int64)]
}

/// What the comment rules need from the comment table (`CommentStore`).
public protocol CommentStoring: Sendable {
    /// Adds a comment (and counts it); nil when the video does not exist.
    func add(video: Int64, user: UserID, content: String) async throws -> CommentStore.Row?
    /// Deletes a comment if `requester` wrote it or authored the video.
    func delete(_ id: Int64, video: Int64, requester: UserID) async throws -> CommentStore.DeleteOutcome
    /// A video's comments, newest first, ids below `before`; nil when the video does not exist.
    func list(video: Int64, before: Int64?, limit: Int) async throws -> [CommentStore.Row]?
}

extension VideoStore: VideoStoring {}
extension FavoriteStore: FavoriteStoring {}
extension CommentStore: CommentStoring {}
