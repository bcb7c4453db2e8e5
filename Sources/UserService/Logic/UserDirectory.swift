import DouyinCore
import DouyinModels

/// Builds User objects for many ids at once, relative to a viewer.
///
/// A constant number of round trips whatever the count: one Redis pipeline to
/// check cached users, and for the rest one query for profiles and follow
/// flags and one batch RPC for the video service's counters.
struct UserDirectory: Sendable {
    let store: ProfileStore
    let videos: RPCClient
    let cache: UserInfoCache

    /// Users in the order of `ids` (duplicates kept); unknown ids are left out.
    func users(_ ids: [UserID], viewer: UserID?) async throws -> [User] {
        let users = try await cache.users(Array(Set(ids)), viewer: viewer) { missing in
            try await load(missing, viewer: viewer)
        }
        return ids.compactMap { users[$0] }
    }

    /// The `GET /douyin/user/` answer for `id`, encoded once while its cache entry lasts.
    func answer(_ id: UserID, viewer: UserID?) async throws -> EncodedAPIResponse {
        try await cache.answer(id, viewer: viewer) { missing in try await load(missing, viewer: viewer) }
    }

    private func load(_ ids: [UserID], viewer: UserID?) async throws -> [UserID: User] {
        async let statsReply = videos.call(VideoRPC.UserStats.self, .init(ids: ids))
        let (profiles, followed) = try await store.profiles(ids, viewer: viewer)
        let stats = try await statsReply.stats
        var users: [UserID: User] = [:]
        for (id, profile) in profiles {
            let counters = stats[id] ?? .zero
            users[id] = User(
                id: id, name: profile.name, followCount: profile.followCount, followerCount: profile.followerCount,
                // Never "following yourself" (API.md 4).
                isFollow: id != viewer && followed.contains(id),
                avatar: profile.avatar, backgroundImage: profile.backgroundImage, signature: profile.signature,
                totalFavorited: counters.totalFavorited, workCount: counters.workCount, favoriteCount: counters.favoriteCount
            )
        }
        return users
    }
}
