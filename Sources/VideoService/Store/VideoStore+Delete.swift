import DouyinModels
import DouyinPostgres

extension VideoStore {
    public enum Deletion: Sendable, Equatable {
        /// Gone, with everything that counted it: the media to remove and who to tell.
        case deleted(author: UserID, likers: [UserID], mediaKeys: [String])
        case notFound
        case forbidden
    }

    /// Deletes `video` if `requester` is its author: its likes, comments and transcode job go with it,
    /// and every counter it added to is taken back in the same transaction (the author's
    /// works and likes received, each liker's likes given).
    ///
    /// The video's row is locked first, in its own statement: a like or comment either
    /// committed before (and the next statement, with a newer snapshot, removes and counts
    /// it), or waits for the lock and then finds no video. A second delete, concurrent or
    /// later, finds nothing: it counts once.
    public func delete(_ video: Int64, requester: UserID) async throws -> Deletion {
        try await db.transaction { connection in
            guard let found = try connection.query(
                "SELECT author_id, play_key, cover_key, hls_key, hls_files, cover_small_key FROM video.videos WHERE id = \(video) FOR UPDATE"
            ).first else { return .notFound }
            let (author, playKey, coverKey, hlsKey, hlsFiles, smallCoverKey) = try found.decode(
                Int64.self, String.self, String.self, String?.self, String.self, String?.self
            )
            guard author == requester else { return .forbidden }
            let likers = try connection.query(
                """
                WITH likes AS (DELETE FROM video.favorites WHERE video_id = \(video) RETURNING user_id),
                comments AS (DELETE FROM video.comments WHERE video_id = \(video)),
                deltas AS (
                    SELECT user_id, sum(unliked) AS unliked, sum(works) AS works, sum(favorited) AS favorited FROM (
                        SELECT user_id, 1 AS unliked, 0 AS works, 0 AS favorited FROM likes
                        UNION ALL SELECT \(author)::bigint, 0, 1, (SELECT count(*) FROM likes)
                    ) d GROUP BY user_id
                ),
                stats AS (
                    UPDATE video.user_stats s SET
                        favorite_count = GREATEST(s.favorite_count - d.unliked, 0),
                        work_count = GREATEST(s.work_count - d.works, 0),
                        total_favorited = GREATEST(s.total_favorited - d.favorited, 0)
                    FROM deltas d WHERE s.user_id = d.user_id
                ),
                gone AS (DELETE FROM video.videos WHERE id = \(video))
                SELECT user_id FROM likes
                """
            ).rows.map { try $0.column(0, as: Int64.self) }
            // Its transcode job goes with the row (ON DELETE CASCADE); a worker mid-job then finds
            // no job to finish and removes what it stored.
            let renditions = hlsFiles.split(separator: "\n").map(String.init) + [hlsKey, smallCoverKey].compactMap { $0 }
            return .deleted(author: author, likers: likers.sorted(), mediaKeys: [playKey, coverKey] + renditions)
        }
    }
}
