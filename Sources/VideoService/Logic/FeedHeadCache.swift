import DouyinCaching
import DouyinClients
import DouyinHTTP
import DouyinModels
import NIOConcurrencyHelpers

/// The feed's first page, kept in memory while the feed's `ContentVersions` counter is unchanged.
///
/// Two layers, both valid only at the version they were built at:
/// - the page's rows, the same for everyone: a viewer with a token is assembled
///   from them (their own likes, the authors as they see them), so a read costs no
///   feed query;
/// - the whole anonymous answer per media base URL, encoded once: a client
///   without a token costs one Redis GET instead of a query plus a batch RPC (that
///   makes its own query and RPC).
///
/// Concurrent misses build once. Entries also expire after `maxAge`, which bounds
/// staleness if a writer could not bump the version.
final class FeedHeadCache: Sendable {
    struct Head: Sendable {
        let version: Int64
        /// Publish times of the newest and oldest video on the page.
        let newest: Int64?
        let oldest: Int64?
        let builtAt: ContinuousClock.Instant
        /// The whole anonymous answer, encoded once; its `next_time` is the oldest video's time.
        let response: EncodedAPIResponse
    }

    private struct Rows: Sendable {
        let version: Int64
        let builtAt: ContinuousClock.Instant
        /// Newest first.
        let rows: [VideoStore.Row]
    }

    typealias Load = @Sendable () async throws -> [VideoStore.Row]

    private let versions: ContentVersions
    let maxAge: Duration
    private let headRows = NIOLockedValueBox<Rows?>(nil)
    /// By media base URL: play and cover URLs depend on the request's host.
    private let heads = NIOLockedValueBox(LRUCache<String, Head>(capacity: 16))
    private let rowBuilds = SingleFlight<Int64, Rows>()
    /// By version and media base URL.
    private let pageBuilds = SingleFlight<String, Head>()

    init(versions: ContentVersions, maxAge: Duration = .seconds(2)) {
        self.versions = versions
        self.maxAge = maxAge
    }

    /// The anonymous answer if it answers a request bounded by `bound` (absent
    /// `latest_time`, or one later than every video on it); nil when the caller must query.
    /// - Parameters:
    ///   - isHeadRequest: the request asked for the newest videos (no `latest_time`).
    ///   - load: the newest page's rows, from the database.
    ///   - assemble: the rows as Video objects for no viewer.
    func page(
        bound: Int64, isHeadRequest: Bool, mediaBase: String,
        load: @escaping Load, assemble: @escaping @Sendable ([VideoStore.Row]) async throws -> [Video]
    ) async throws -> Head? {
        guard let current = try? await versions.feed() else { return nil }
        let cached = heads.withLockedValue { $0[mediaBase] }
        if let cached, isValid(version: cached.version, builtAt: cached.builtAt, at: current) {
            return bound > (cached.newest ?? .min) ? cached : nil
        }
        guard isHeadRequest else { return nil }
        return try await pageBuilds.run("\(current) \(mediaBase)") { [heads] in
            let rows = try await self.rows(at: current, load: load)
            let oldest = rows.last?.publishedAt
            let head = Head(
                version: current, newest: rows.first?.publishedAt, oldest: oldest, builtAt: .now,
                response: EncodedAPIResponse(FeedResponse(nextTime: oldest ?? 0, videoList: try await assemble(rows)))
            )
            heads.withLockedValue { heads in
                if (heads[mediaBase]?.version ?? .min) <= current { heads[mediaBase] = head }
            }
            return head
        }
    }

    /// The newest page's rows if they answer a request bounded by `bound`; nil
    /// when the caller must query (or Redis cannot say whether they are current).
    /// - Parameter version: the feed's version if the caller read it already.
    func rows(bound: Int64, isHeadRequest: Bool, version: Int64? = nil, load: @escaping Load) async throws -> [VideoStore.Row]? {
        let read = version == nil ? try? await versions.feed() : nil
        guard let current = version ?? read else { return nil }
        if let cached = cachedRows(at: current) {
            return bound > (cached.first?.publishedAt ?? .min) ? cached : nil
        }
        guard isHeadRequest else { return nil }
        return try await rows(at: current, load: load)
    }

    /// Whether an entry built at `version` may still be served while the feed is at `current`.
    private func isValid(version: Int64, builtAt: ContinuousClock.Instant, at current: Int64) -> Bool {
        version == current && builtAt.duration(to: .now) < maxAge
    }

    private func cachedRows(at current: Int64) -> [VideoStore.Row]? {
        guard let cached = headRows.withLockedValue({ $0 }) else { return nil }
        return isValid(version: cached.version, builtAt: cached.builtAt, at: current) ? cached.rows : nil
    }

    /// The rows at version `current`, from memory or loaded once for all concurrent callers.
    private func rows(at current: Int64, load: @escaping Load) async throws -> [VideoStore.Row] {
        if let cached = cachedRows(at: current) { return cached }
        return try await rowBuilds.run(current) { [headRows] in
            let built = Rows(version: current, builtAt: .now, rows: try await load())
            headRows.withLockedValue { if ($0?.version ?? .min) <= current { $0 = built } }
            return built
        }.rows
    }
}
