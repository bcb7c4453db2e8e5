import DouyinCaching
import DouyinHTTP
import DouyinModels

/// The feed's first page as each viewer was last served it, encoded, while neither
/// the feed nor the viewer changed.
///
/// Everything on that page moves the feed's version when it changes: every write
/// (publish, like, comment, follow) bumps it, and the rows, counts and authors a page
/// shows change only through writes. What differs per viewer (their likes, whom they
/// follow) moves only with the viewer's own version. So a viewer's first page at the
/// same pair of versions is the same bytes, and a viewer scrolling back to the top, or
/// an app refreshing, costs one MGET of the two versions. Pages are stored under the
/// versions read before building them and expire after `maxAge` like the feed head.
final class ViewerFeedPages: Sendable {
    private struct Key: Hashable, Sendable {
        let viewer: UserID
        /// Play and cover URLs follow the request's host.
        let mediaBase: String
        let feedVersion: Int64
    }

    private let pages: VersionedCache<Key, EncodedAPIResponse>
    var maxAge: Duration { pages.maxAge }

    init(maxAge: Duration = .seconds(2), maxPages: Int = CacheSizes().feedPages) {
        pages = VersionedCache(name: "feed_pages", maxAge: maxAge, capacity: maxPages)
    }

    /// The viewer's first page at these versions (nil: Redis could not say, so built and
    /// not kept); `build` returns nil for a page that must not be kept (an empty feed,
    /// whose `next_time` is the request's own time).
    func page(
        viewer: UserID, mediaBase: String, feedVersion: Int64?, viewerVersion: Int64?,
        build: () async throws -> EncodedAPIResponse?
    ) async throws -> EncodedAPIResponse? {
        guard let feedVersion else { return try await build() }
        let key = Key(viewer: viewer, mediaBase: mediaBase, feedVersion: feedVersion)
        return try await pages.value(for: key, version: viewerVersion, load: build)
    }
}
