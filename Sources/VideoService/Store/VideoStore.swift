import DouyinHTTP
import DouyinModels
import DouyinPostgres

/// Every SQL statement about videos.
public struct VideoStore: Sendable {
    let db: PostgresClient

    public init(db: PostgresClient) {
        self.db = db
    }

    /// A video row; `User` and flags are added by the caller.
    public struct Row: Sendable {
        public var id: Int64
        public var authorID: UserID
        public var title: String
        public var playKey: String
        public var coverKey: String
        public var favoriteCount: Int64
        public var commentCount: Int64
        public var publishedAt: Int64
        /// The HLS master playlist and the small cover, once transcoded.
        public var hlsKey: String?
        public var smallCoverKey: String?
    }

    public struct NewVideo: Sendable {
        var authorID: UserID
        var title: String
        var playKey: String
        var coverKey: String
        var contentType: String
    }

    /// Inserts the video, counts it for its author and queues its transcode, in one transaction.
    /// The publish time is the database clock in ms, made distinct by the publish clock.
    public func insert(_ video: NewVideo) async throws -> (id: Int64, publishedAt: Int64) {
        try await db.transaction { connection in
            let publishedAt = try connection.query(
                """
                UPDATE video.publish_clock
                SET last_ms = GREATEST(last_ms + 1, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
                RETURNING last_ms
                """
            ).first!.column(0, as: Int64.self)
            let id = try connection.query(
                """
                INSERT INTO video.videos (author_id, title, play_key, cover_key, content_type, published_at)
                VALUES (\(video.authorID), \(video.title), \(video.playKey), \(video.coverKey), \(video.contentType), \(publishedAt))
                RETURNING id
                """
            ).first!.column(0, as: Int64.self)
            try connection.query(
                """
                INSERT INTO video.user_stats (user_id, work_count) VALUES (\(video.authorID), 1)
                ON CONFLICT (user_id) DO UPDATE SET work_count = video.user_stats.work_count + 1
                """
            )
            try connection.query("INSERT INTO video.transcode_jobs (video_id) VALUES (\(id))")
            return (id, publishedAt)
        }
    }

    /// The newest videos published strictly before `before` (ms).
    public func feed(before: Int64, limit: Int) async throws -> [Row] {
        try await rows(
            """
            SELECT id, author_id, title, play_key, cover_key, favorite_count, comment_count, published_at, hls_key, cover_small_key
            FROM video.videos WHERE published_at < \(before) ORDER BY published_at DESC LIMIT \(limit)
            """
        )
    }

    /// Videos whose title contains `query.keyword` or resembles it (trigram similarity),
    /// most similar first, then most liked, then newest; the query's page and one more.
    public func search(_ query: SearchQuery) async throws -> [Row] {
        try await rows(
            """
            SELECT id, author_id, title, play_key, cover_key, favorite_count, comment_count, published_at, hls_key, cover_small_key
            FROM video.videos
            WHERE title ILIKE \(query.containsPattern) OR title OPERATOR(public.%) \(query.keyword)
            ORDER BY public.similarity(title, \(query.keyword)) DESC, favorite_count DESC, published_at DESC
            OFFSET \(query.offset) LIMIT \(query.fetchLimit)
            """
        )
    }

    /// One author's videos published strictly before `before`, newest first.
    public func published(by author: UserID, before: Int64, limit: Int) async throws -> [Row] {
        try await rows(
            """
            SELECT id, author_id, title, play_key, cover_key, favorite_count, comment_count, published_at, hls_key, cover_small_key
            FROM video.videos WHERE author_id = \(author) AND published_at < \(before)
            ORDER BY published_at DESC LIMIT \(limit)
            """
        )
    }

    /// Which of `videos` `user` likes.
    public func favorites(of user: UserID, among videos: [Int64]) async throws -> Set<Int64> {
        guard !videos.isEmpty else { return [] }
        return Set(try await db.query(
            "SELECT video_id FROM video.favorites WHERE user_id = \(user) AND video_id = ANY(\(videos))"
        ).rows.map { try $0.column(0, as: Int64.self) })
    }

    /// The author of `video`, or nil when there is no such video.
    public func author(of video: Int64) async throws -> UserID? {
        try await db.query("SELECT author_id FROM video.videos WHERE id = \(video)").first?.column(0, as: Int64.self)
    }

    private func rows(_ query: PostgresQuery) async throws -> [Row] {
        try await db.query(query).rows.map(Self.row)
    }

    /// A Row from the first ten columns: id, author_id, title, play_key, cover_key,
    /// favorite_count, comment_count, published_at, hls_key, cover_small_key.
    static func row(_ row: PostgresRow) throws -> Row {
        let (id, author, title, play, cover, favorites, comments, published, hls, smallCover) = try row.decode(
            Int64.self, Int64.self, String.self, String.self, String.self, Int64.self, Int64.self, Int64.self, String?.self, String?.self
        )
        return Row(
            id: id, authorID: author, title: title, playKey: play, coverKey: cover,
            favoriteCount: favorites, commentCount: comments, publishedAt: published, hlsKey: hls, smallCoverKey: smallCover
        )
    }
}
