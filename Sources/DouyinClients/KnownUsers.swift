import DouyinCaching
import DouyinModels
import DouyinRPC
import NIOConcurrencyHelpers

/// Remembers user ids seen to exist, so existence checks skip the round trip.
///
/// Only positive answers are kept, which is safe because the API never deletes
/// users (API.md 5); unknown ids are asked again every time. Bounded: the least
/// recently asked ids are forgotten first.
public final class KnownUsers: Sendable {
    private let known: NIOLockedValueBox<LRUCache<UserID, Void>>
    private let lookup: @Sendable ([UserID]) async throws -> [UserID]

    /// - Parameter lookup: which of the given ids exist.
    public init(capacity: Int = CacheSizes().knownUsers, lookup: @escaping @Sendable ([UserID]) async throws -> [UserID]) {
        self.known = NIOLockedValueBox(LRUCache(capacity: capacity, metrics: CacheMetrics(name: "known_users")))
        self.lookup = lookup
    }

    /// Asks `douyin-user` over RPC.
    public convenience init(users: RPCClient, capacity: Int = CacheSizes().knownUsers) {
        self.init(capacity: capacity) { ids in try await users.call(UserRPC.Existing.self, .init(ids: ids)).ids }
    }

    public func exists(_ id: UserID) async throws -> Bool {
        if known.withLockedValue({ $0[id] != nil }) { return true }
        guard try await lookup([id]).contains(id) else { return false }
        known.withLockedValue { $0[id] = () }
        return true
    }
}
