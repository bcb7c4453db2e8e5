import DouyinCaching
import DouyinClients
import DouyinModels

/// Pages of the relation lists, kept in memory while the listed user's
/// `ContentVersions` counter is unchanged.
///
/// Every list of a user changes only by a follow or unfollow that involves that
/// user, and each of those bumps both users' versions after it commits and before it
/// answers: so a page read at the user's current version is current, on every
/// instance. Pages are stored under the version read before loading them, and
/// expire after `maxAge`, which bounds staleness if a bump failed.
final class RelationPages: Sendable {
    enum List: Hashable, Sendable {
        case following, followers, friends
    }

    private struct Key: Hashable, Sendable {
        let list: List
        let user: UserID
        let after: Int64?
        let limit: Int
    }

    private let versions: ContentVersions
    private let pages: VersionedCache<Key, [RelationEntry]>
    var maxAge: Duration { pages.maxAge }

    init(versions: ContentVersions, maxAge: Duration = .seconds(5), maxPages: Int = CacheSizes().pages) {
        self.versions = versions
        self.pages = VersionedCache(name: "relation_pages", maxAge: maxAge, capacity: maxPages)
    }

    /// The rows of one page of `user`'s `list` (fetched with `limit` rows after `after`),
    /// from memory while current, else from `load`; with the user's version they hold
    /// for (nil when Redis could not say).
    func entries(
        _ list: List, of user: UserID, after: Int64?, limit: Int,
        load: () async throws -> [RelationEntry]
    ) async throws -> (entries: [RelationEntry], version: Int64?) {
        let version = try? await versions.users([user])[user]
        let entries = try await pages.value(for: Key(list: list, user: user, after: after, limit: limit), version: version) {
            try await load()
        } ?? []
        return (entries, version)
    }
}
