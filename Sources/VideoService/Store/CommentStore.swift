import DouyinModels
import DouyinPostgres

/// Every SQL statement about comments. `videos.comment_count` changes in the
/// same transaction as the row it counts.
public struct CommentStore: Sendable {
    let db: PostgresClient

    public init(db: PostgresClient) {
        self.db = db
    }

    public struct Row: Sendable {
        public var id: Int64
        public var userID: UserID
        public var content: String
        public var createdAt: Int64
    }

    public enum DeleteOutcome: Sendable {
        case deleted(Row)
        case notFound
        case forbidden
    }

    /// Adds a comment; nil when the video does not exist. One statement: the count
    /// moves only if the video exists, and the row is added only if the count moved.
    public func add(video: Int64, user: UserID, content: String) async throws -> Row? {
        guard let row = try await db.write(
            """
            WITH counted AS (UPDATE video.videos SET comment_count = comment_count + 1 WHERE id = \(video) RETURNING id)
            INSERT INTO video.comments (video_id, user_id, content, created_at)
            SELECT id, \(user), \(content), (extract(epoch FROM clock_timestamp()) * 1000)::bigint FROM counted
            RETURNING id, created_at
            """
        ).first else { return nil }
        let (id, createdAt) = try row.decode(Int64.self, Int64.self)
        return Row(id: id, userID: user, content: content, createdAt: createdAt)
    }

    /// Deletes comment `id` of `video` if `requester` wrote it or owns the video.
    public func delete(_ id: Int64, video: Int64, requester: UserID) async throws -> DeleteOutcome {
        try await db.transaction { connection in
            guard let found = try connection.query(
                """
                SELECT c.user_id, c.content, c.created_at, v.author_id
                FROM video.comments c JOIN video.videos v ON v.id = c.video_id
                WHERE c.id = \(id) AND c.video_id = \(video)
                FOR UPDATE OF c
                """
            ).first else { return .notFound }
            let (writer, content, createdAt, author) = try found.decode(Int64.self, String.self, Int64.self, Int64.self)
            guard requester == writer || requester == author else { return .forbidden }
            try connection.query("DELETE FROM video.comments WHERE id = \(id)")
            try connection.query("UPDATE video.videos SET comment_count = comment_count - 1 WHERE id = \(video)")
            return .deleted(Row(id: id, userID: writer, content: content, createdAt: createdAt))
        }
    }

    /// Comments of `video` older than the one at `before`, newest first; nil when the
    /// video does not exist. One statement: the video's row, joined to its page of comments.
    public func list(video: Int64, before: Int64?, limit: Int) async throws -> [Row]? {
        let result = try await db.query(
            """
            SELECT c.id, c.user_id, c.content, c.created_at FROM video.videos v
            LEFT JOIN LATERAL (
                SELECT id, user_id, content, created_at FROM video.comments
                WHERE video_id = v.id AND id < \(before ?? .max)
                ORDER BY id DESC LIMIT \(limit)
            ) c ON true
            WHERE v.id = \(video)
            ORDER BY c.id DESC
            """
        )
        guard let first = result.first else { return nil }
        // A video without comments (on this page) is one row of NULLs.
        if try first.column(0, as: Int64?.self) == nil { return [] }
        return try result.rows.map { row in
            let (id, user, content, createdAt) = try row.decode(Int64.self, Int64.self, String.self, Int64.self)
            return Row(id: id, userID: user, content: content, createdAt: createdAt)
        }
    }
}
