import DouyinClients
import DouyinHTTP
import DouyinModels

/// Builds User objects for many ids at once, relative to a viewer.
///
/// A constant number of round trips whatever the count: one Redis pipeline to
/// check cached users and the viewer's follow flags, and for what is missing one
/// query for profiles, one batch RPC for the video service's counters and one
/// query for the follow flags: everyone the viewer follows, kept for their later
/// questions too, or, for a viewer who follows too many for that, a second query
/// for the ids asked.
struct UserDirectory: Sendable {
    let profiles: any ProfileStoring
    let follows: any RelationStoring
    let videoStats: UserContext.VideoStats
    let cache: UserCache

    /// Users in the order of `ids` (duplicates kept); unknown ids are left out.
    func users(_ ids: [UserID], viewer: UserID?) async throws -> [User] {
        try await usersAndVersions(ids, viewer: viewer).users
    }

    /// The same, with the versions (of `ids` and `viewer`) they hold for; nil when Redis could not say.
    func usersAndVersions(_ ids: [UserID], viewer: UserID?) async throws -> (users: [User], versions: [UserID: Int64]?) {
        let (users, versions) = try await cache.usersAndVersions(Array(Set(ids)), viewer: viewer, load: loaders)
        return (ids.compactMap { users[$0] }, versions)
    }

    /// `GET /douyin/search/user/`: the users whose names match, best first, as the viewer sees them.
    func search(_ query: SearchQuery, viewer: UserID?) async throws -> UserListResponse<User> {
        let (ids, next) = query.finish(try await profiles.search(query))
        return UserListResponse(try await users(ids, viewer: viewer), nextCursor: next)
    }

    /// The `GET /douyin/user/` answer for `id`, encoded once while its cache entry lasts.
    func answer(_ id: UserID, viewer: UserID?) async throws -> ValidatedAnswer {
        try await cache.answer(id, viewer: viewer, load: loaders)
    }

    private var loaders: UserCache.Loaders {
        UserCache.Loaders(
            users: { [profiles, videoStats] ids in try await Self.load(ids, profiles: profiles, videoStats: videoStats) },
            followed: { [follows] viewer, ids in try await follows.followed(by: viewer, among: ids) },
            everyoneFollowed: { [follows] viewer, limit in try await follows.followees(of: viewer, upTo: limit) }
        )
    }

    private static func load(
        _ ids: [UserID], profiles store: any ProfileStoring, videoStats: UserContext.VideoStats
    ) async throws -> [UserID: User] {
        async let statsReply = videoStats(ids)
        let profiles = try await store.profiles(ids)
        let stats = try await statsReply
        var users: [UserID: User] = [:]
        for (id, profile) in profiles {
            let counters = stats[id] ?? .zero
            users[id] = User(
                id: id, name: profile.name, followCount: profile.followCount, followerCount: profile.followerCount,
                avatar: profile.avatar, backgroundImage: profile.backgroundImage, signature: profile.signature,
                totalFavorited: counters.totalFavorited, workCount: counters.workCount, favoriteCount: counters.favoriteCount
            )
        }
        return users
    }
}
