import DouyinModels
import DouyinRPC
import NIOConcurrencyHelpers

/// Remembers user ids seen to exist, so existence checks skip the round trip.
///
/// Only positive answers are kept, which is safe because the API never deletes
/// users (API.md 5); unknown ids are asked again every time. Bounded: when full
/// it starts over.
public final class KnownUsers: Sendable {
    private let known = NIOLockedValueBox<Set<UserID>>([])
    private let capacity: Int
    private let lookup: @Sendable ([UserID]) async throws -> [UserID]

    /// - Parameter lookup: which of the given ids exist.
    public init(capacity: Int = 100_000, lookup: @escaping @Sendable ([UserID]) async throws -> [UserID]) {
        self.capacity = capacity
        self.lookup = lookup
    }

    /// Asks `douyin-user` over RPC.
    public convenience init(users: RPCClient) {
        self.init { ids in try await users.call(UserRPC.Existing.self, .init(ids: ids)).ids }
    }

    public func exists(_ id: UserID) async throws -> Bool {
        if known.withLockedValue({ $0.contains(id) }) { return true }
        guard try await lookup([id]).contains(id) else { return false }
        known.withLockedValue { known in
            if known.count >= capacity { known.removeAll(keepingCapacity: true) }
            known.insert(id)
        }
        return true
    }
}
