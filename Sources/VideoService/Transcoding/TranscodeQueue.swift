import DouyinObservability
import DouyinPostgres

/// Every SQL statement about transcode jobs (`video.transcode_jobs`). A job is stored with
/// its video (`VideoStore.insert`); workers claim, renew, finish or fail it here, each step
/// guarded by the claim's number, so a worker that lost its lease changes nothing.
public struct TranscodeQueue: Sendable {
    let db: PostgresClient

    public init(db: PostgresClient) {
        self.db = db
    }

    /// One claim of a job: `attempt` is the job's claim count when it was taken.
    public struct Claim: Sendable, Equatable {
        public var videoID: Int64
        public var attempt: Int
        public var playKey: String
    }

    /// Takes the job due longest: pending and due, or running under a lease that ran out
    /// (its worker died). Concurrent workers skip each other's rows.
    public func claim(lease: Duration) async throws -> Claim? {
        guard let row = try await db.query(
            """
            WITH next AS (
                SELECT video_id FROM video.transcode_jobs
                WHERE (state = 'pending' AND run_after <= now()) OR (state = 'running' AND lease_until < now())
                ORDER BY run_after LIMIT 1 FOR UPDATE SKIP LOCKED
            )
            UPDATE video.transcode_jobs j
            SET state = 'running', attempts = j.attempts + 1, started_at = now(),
                lease_until = now() + make_interval(secs => \(lease.seconds))
            FROM next, video.videos v
            WHERE j.video_id = next.video_id AND v.id = j.video_id
            RETURNING j.video_id, j.attempts, v.play_key
            """
        ).first else { return nil }
        let (video, attempt, playKey) = try row.decode(Int64.self, Int.self, String.self)
        return Claim(videoID: video, attempt: attempt, playKey: playKey)
    }

    /// Extends the claim's lease; false when the job is no longer this claim's.
    public func renew(_ claim: Claim, lease: Duration) async throws -> Bool {
        try await db.query(
            """
            UPDATE video.transcode_jobs SET lease_until = now() + make_interval(secs => \(lease.seconds))
            WHERE video_id = \(claim.videoID) AND attempts = \(claim.attempt) AND state = 'running'
            """
        ).affectedRows == 1
    }

    /// Marks the job done and points the video at its renditions, in one statement; false
    /// when the claim is stale or the video was deleted meanwhile (the caller then removes
    /// what it stored).
    public func finish(_ claim: Claim, hlsKey: String, files: [String], smallCoverKey: String) async throws -> Bool {
        try await db.query(
            """
            WITH job AS (
                UPDATE video.transcode_jobs
                SET state = 'done', finished_at = now(), lease_until = NULL, last_error = NULL
                WHERE video_id = \(claim.videoID) AND attempts = \(claim.attempt) AND state = 'running'
                RETURNING video_id
            )
            UPDATE video.videos v SET hls_key = \(hlsKey), hls_files = \(files.joined(separator: "\n")), cover_small_key = \(smallCoverKey)
            FROM job WHERE v.id = job.video_id
            """
        ).affectedRows == 1
    }

    /// Records a failed attempt: due again after `retryAfter`, or failed for good when nil.
    public func fail(_ claim: Claim, reason: String, retryAfter: Duration?) async throws {
        let reason = String(reason.prefix(500))
        if let retryAfter {
            try await db.query(
                """
                UPDATE video.transcode_jobs
                SET state = 'pending', lease_until = NULL, last_error = \(reason),
                    run_after = now() + make_interval(secs => \(retryAfter.seconds))
                WHERE video_id = \(claim.videoID) AND attempts = \(claim.attempt) AND state = 'running'
                """
            )
        } else {
            try await db.query(
                """
                UPDATE video.transcode_jobs
                SET state = 'failed', lease_until = NULL, last_error = \(reason), finished_at = now()
                WHERE video_id = \(claim.videoID) AND attempts = \(claim.attempt) AND state = 'running'
                """
            )
        }
    }

    /// Jobs waiting (due or not) and running, for the queue-depth metric.
    public func depth() async throws -> (pending: Int, running: Int) {
        guard let row = try await db.query(
            """
            SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'running')
            FROM video.transcode_jobs WHERE state IN ('pending', 'running')
            """
        ).first else { return (0, 0) }
        return try row.decode(Int.self, Int.self)
    }
}
