import DouyinCore
import DouyinModels

/// Builds User objects for many ids at once, relative to a viewer.
///
/// A constant number of round trips whatever the count: one query for
/// profiles and follow flags, one batch RPC for the video service's counters.
public struct UserDirectory: Sendable {
    let store: ProfileStore
    let videos: RPCClient

    public init(store: ProfileStore, videos: RPCClient) {
        self.store = store
        self.videos = videos
    }

    /// Users in the order of `ids` (duplicates kept); unknown ids are left out.
    public func users(_ ids: [UserID], viewer: UserID?) async throws -> [User] {
        let unique = Array(Set(ids))
        async let statsReply = videos.call(VideoRPC.UserStats.self, .init(ids: unique))
        let (profiles, followed) = try await store.profiles(unique, viewer: viewer)
        let stats = try await statsReply.stats
        return ids.compactMap { id in
            guard let profile = profiles[id] else { return nil }
            let counters = stats[id] ?? .zero
            return User(
                id: id, name: profile.name, followCount: profile.followCount, followerCount: profile.followerCount,
                // Never "following yourself" (API.md 4).
                isFollow: id != viewer && followed.contains(id),
                avatar: profile.avatar, backgroundImage: profile.backgroundImage, signature: profile.signature,
                totalFavorited: counters.totalFavorited, workCount: counters.workCount, favoriteCount: counters.favoriteCount
            )
        }
    }

    public func user(_ id: UserID, viewer: UserID?) async throws -> User {
        guard let user = try await users([id], viewer: viewer).first else { throw DouyinError(.userNotFound) }
        return user
    }
}
