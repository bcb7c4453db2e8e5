import DouyinClients
import DouyinMedia
import DouyinObservability
import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOPosix
import ServiceLifecycle

/// How the transcode workers run (`transcode.*` settings).
struct TranscodeSettings: Sendable {
    /// Jobs at once in this process (`DOUYIN_TRANSCODE_WORKERS`, 0 = none here); each uses one core.
    var workers = 1
    /// How long a claim holds a job without renewal; renewed every third of it.
    var lease: Duration = .seconds(60)
    /// How often an idle worker looks for work.
    var poll: Duration = .seconds(2)
    /// Claims per job before it is marked failed (a worker dying mid-job counts).
    var maxAttempts = 4
    /// The wait after the first failure, doubled after each further one.
    var firstRetry: Duration = .seconds(10)
}

/// Claims transcode jobs from PostgreSQL and makes each video's HLS renditions and small
/// cover, on threads of their own at the lowest CPU priority, so the API on the same
/// machine keeps its share. A job is finished only by the claim that holds it; what a
/// stale claim or a deleted video leaves behind is removed again.
struct TranscodeWorkers: Service, CustomStringConvertible {
    let queue: TranscodeQueue
    let storage: any MediaStorage
    let versions: ContentVersions
    let settings: TranscodeSettings
    let logger: Logger

    var description: String { "transcode workers (\(settings.workers))" }

    func run() async throws {
        // Off: still a service of the group until shutdown (one that ends early stops the process).
        guard settings.workers > 0 else {
            try? await gracefulShutdown()
            return
        }
        let threads = NIOThreadPool(numberOfThreads: settings.workers)
        threads.start()
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await reportDepth() }
                for _ in 0..<settings.workers {
                    group.addTask { await work(on: threads) }
                }
            }
        }
        try? await threads.shutdownGracefully()
    }

    private func work(on threads: NIOThreadPool) async {
        while !Task.isCancelled {
            do {
                if let claim = try await queue.claim(lease: settings.lease) {
                    await process(claim, on: threads)
                    continue
                }
            } catch {
                logger.warning("could not claim a transcode job", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: settings.poll)
        }
    }

    private func process(_ claim: TranscodeQueue.Claim, on threads: NIOThreadPool) async {
        let metadata: Logger.Metadata = ["video_id": "\(claim.videoID)", "attempt": "\(claim.attempt)"]
        guard claim.attempt <= settings.maxAttempts else {
            // Claimed again and again without an outcome: its workers died on it.
            try? await queue.fail(claim, reason: "no outcome after \(settings.maxAttempts) attempts", retryAfter: nil)
            TranscodeMetrics.finished("failed", after: .zero)
            logger.error("transcode job abandoned", metadata: metadata)
            return
        }
        let started = ContinuousClock.now
        let job = TranscodeJob(claim: claim, storage: storage, scratch: storage.scratchDirectory)
        defer { job.removeScratch() }
        do {
            let finished = try await withLease(claim) { stop in
                try await job.run(on: threads, isCancelled: stop)
            }
            guard try await queue.finish(claim, hlsKey: finished.master, files: finished.files, smallCoverKey: finished.smallCover) else {
                // Deleted meanwhile, or the lease passed to another worker: this claim's output is not wanted.
                await job.removeStored()
                logger.info("transcode result discarded (video deleted or claim lost)", metadata: metadata)
                return
            }
            // Only the feed's caches hold Video objects (lists are read fresh): moving the feed's
            // version shows the URLs everywhere, and leaves the author's cached User alone.
            await versions.changed()
            TranscodeMetrics.finished("done", after: started.duration(to: .now))
            logger.info("video transcoded", metadata: metadata.merging(["renditions": "\(finished.renditions)"]) { $1 })
        } catch {
            await job.removeStored()
            if Task.isCancelled {
                // Shutting down: the job is due again at once, for this or another instance.
                try? await queue.fail(claim, reason: "interrupted by shutdown", retryAfter: .zero)
                return
            }
            let retry = claim.attempt < settings.maxAttempts ? settings.firstRetry * (1 << (claim.attempt - 1)) : nil
            try? await queue.fail(claim, reason: "\(error)", retryAfter: retry)
            TranscodeMetrics.finished(retry == nil ? "failed" : "retried", after: started.duration(to: .now))
            logger.warning(
                "transcode failed", metadata: metadata.merging(["error": "\(error)", "retry": "\(retry.map { "\($0)" } ?? "no")"]) { $1 }
            )
        }
    }

    /// Runs `body` while renewing the claim's lease; `body`'s stop flag turns true when the
    /// lease is lost or the task is cancelled.
    private func withLease<T: Sendable>(
        _ claim: TranscodeQueue.Claim, _ body: (@escaping @Sendable () -> Bool) async throws -> T
    ) async throws -> T {
        let stopped = NIOLockedValueBox(false)
        let stop: @Sendable () -> Bool = { stopped.withLockedValue { $0 } }
        let renewal = Task { [queue, settings, logger] in
            while !Task.isCancelled {
                try? await Task.sleep(for: settings.lease / 3)
                guard !Task.isCancelled else { return }
                if (try? await queue.renew(claim, lease: settings.lease)) == false {
                    logger.warning("transcode lease lost", metadata: ["video_id": "\(claim.videoID)"])
                    stopped.withLockedValue { $0 = true }
                    return
                }
            }
        }
        defer { renewal.cancel() }
        return try await withTaskCancellationHandler {
            try await body(stop)
        } onCancel: {
            stopped.withLockedValue { $0 = true }
        }
    }

    private func reportDepth() async {
        while !Task.isCancelled {
            if let (pending, running) = try? await queue.depth() {
                TranscodeMetrics.depth(pending: pending, running: running)
            }
            try? await Task.sleep(for: .seconds(15))
        }
    }
}

enum TranscodeMetrics {
    static let pending = Gauge(label: "douyin_transcode_jobs", dimensions: [("state", "pending")])
    static let running = Gauge(label: "douyin_transcode_jobs", dimensions: [("state", "running")])
    static let duration = Timer(label: "douyin_transcode_duration_seconds", preferredDisplayUnit: .seconds)

    static func depth(pending: Int, running: Int) {
        Self.pending.record(pending)
        Self.running.record(running)
    }

    static func finished(_ outcome: String, after elapsed: Duration) {
        Counter(label: "douyin_transcode_outcomes_total", dimensions: [("outcome", outcome)]).increment()
        if outcome == "done" { duration.recordNanoseconds(elapsed.nanoseconds) }
    }
}
