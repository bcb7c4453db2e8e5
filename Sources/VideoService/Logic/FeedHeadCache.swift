import DouyinCore
import DouyinModels
import NIOConcurrencyHelpers

/// The feed's first page, kept in memory while the feed's `ContentVersions` counter is unchanged.
///
/// Every client without a token asks for the same page, and it costs a query
/// plus a batch RPC (that makes its own query and RPC) to build: here it costs
/// one Redis GET. Viewers with a token reuse the page's rows, which are the same
/// for everyone, and only their own flags are assembled per request. Concurrent
/// misses build the page once. Pages also expire after `maxAge`, which bounds
/// staleness if a writer could not bump the version.
final class FeedHeadCache: Sendable {
    struct Head: Sendable {
        let version: Int64
        /// Publish times of the newest and oldest video on the page.
        let newest: Int64?
        let oldest: Int64?
        let builtAt: ContinuousClock.Instant
        /// The page's videos as stored, newest first: what a viewer's page is assembled from.
        let rows: [VideoStore.Row]
        /// The whole anonymous answer, encoded once; its `next_time` is the oldest video's time.
        let response: EncodedAPIResponse
    }

    private let versions: ContentVersions
    private let maxAge: Duration
    /// By media base URL: play and cover URLs depend on the request's host.
    private let heads = NIOLockedValueBox<[String: Head]>([:])
    private let building = NIOLockedValueBox<[String: Task<Head, any Error>]>([:])
    private static let maxHosts = 16

    init(versions: ContentVersions, maxAge: Duration = .seconds(2)) {
        self.versions = versions
        self.maxAge = maxAge
    }

    /// The head page if it answers a request bounded by `bound` (absent `latest_time`,
    /// or one later than every video on it); nil when the caller must query.
    /// - Parameter isHeadRequest: the request asked for the newest videos (no `latest_time`).
    func page(
        bound: Int64, isHeadRequest: Bool, mediaBase: String,
        build: @escaping @Sendable () async throws -> (rows: [VideoStore.Row], videos: [Video])
    ) async throws -> Head? {
        guard let current = try? await versions.feed() else { return nil }
        let cached = heads.withLockedValue { $0[mediaBase] }
        if let cached, cached.version == current, cached.builtAt.duration(to: .now) < maxAge {
            return bound > (cached.newest ?? .min) ? cached : nil
        }
        guard isHeadRequest else { return nil }
        return try await shared(key: "\(current) \(mediaBase)") { [heads] in
            let page = try await build()
            let oldest = page.rows.last?.publishedAt
            let head = Head(
                version: current, newest: page.rows.first?.publishedAt, oldest: oldest, builtAt: .now, rows: page.rows,
                response: EncodedAPIResponse(FeedResponse(nextTime: oldest ?? 0, videoList: page.videos))
            )
            heads.withLockedValue { heads in
                if heads.count >= Self.maxHosts, heads[mediaBase] == nil { heads.removeAll() }
                if (heads[mediaBase]?.version ?? .min) <= current { heads[mediaBase] = head }
            }
            return head
        }
    }

    /// Runs `body` once for all concurrent callers with the same key.
    private func shared(key: String, _ body: @escaping @Sendable () async throws -> Head) async throws -> Head {
        let building = self.building
        let task = building.withLockedValue { running in
            if let task = running[key] { return task }
            let task = Task {
                defer { building.withLockedValue { $0[key] = nil } }
                return try await body()
            }
            running[key] = task
            return task
        }
        return try await task.value
    }
}
