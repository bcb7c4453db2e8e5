import DouyinCaching
import DouyinModels
import DouyinRPC

/// User objects from `douyin-user`, for services that show users on their pages.
///
/// Kept in a local `UserCache` under the users' and the viewer's versions, so a
/// page whose users and viewer did not change since costs one Redis MGET and no
/// call; what changed comes in one batch call per kind (users, follow flags).
public struct RemoteUsers: Sendable {
    private let cache: UserCache
    private let loaders: UserCache.Loaders

    public init(client: RPCClient, versions: ContentVersions, sizes: CacheSizes = CacheSizes()) {
        self.init(loaders: .remote(client), versions: versions, sizes: sizes)
    }

    /// - Parameter loaders: where users and follow flags come from (the user service, or fakes in tests).
    public init(loaders: UserCache.Loaders, versions: ContentVersions, sizes: CacheSizes = CacheSizes()) {
        self.cache = UserCache(versions: versions, sizes: sizes)
        self.loaders = loaders
    }

    /// The users among `ids` as `viewer` sees them. Every id must name a user: another
    /// service's rows point only at users that exist, so a missing one is a bad answer.
    public func users(_ ids: some Collection<UserID>, viewer: UserID?) async throws -> [UserID: User] {
        try await usersAndVersions(ids, viewer: viewer).users
    }

    /// The same, with the versions (of `ids` and `viewer`) they hold for; nil when Redis could not say.
    public func usersAndVersions(_ ids: some Collection<UserID>, viewer: UserID?) async throws -> (users: [UserID: User], versions: [UserID: Int64]?) {
        let distinct = Array(Set(ids))
        let (users, versions) = try await cache.usersAndVersions(distinct, viewer: viewer, load: loaders)
        return (try Self.complete(users, asked: distinct), versions)
    }

    /// How long a user is kept at most, whatever the versions say.
    public var maxAge: Duration { cache.maxAge }

    /// The same with the versions of `ids` and `viewer` already read (nil: Redis could not say).
    public func users(_ ids: some Collection<UserID>, viewer: UserID?, versions: [UserID: Int64]?) async throws -> [UserID: User] {
        let distinct = Array(Set(ids))
        return try Self.complete(try await cache.users(distinct, viewer: viewer, versions: versions, load: loaders), asked: distinct)
    }

    private static func complete(_ users: [UserID: User], asked: [UserID]) throws(DouyinError) -> [UserID: User] {
        for id in asked where users[id] == nil {
            throw DouyinError(.badUpstreamAnswer, "the user service did not return user \(id)")
        }
        return users
    }
}

extension UserCache.Loaders {
    /// Users and follow flags from `douyin-user`: one batch call for each kind of miss.
    public static func remote(_ users: RPCClient) -> Self {
        Self(
            users: { ids in try await users.call(UserRPC.Users.self, .init(ids: ids, viewer: nil)).byID(asked: ids) },
            followed: { viewer, ids in Set(try await users.call(UserRPC.Followed.self, .init(viewer: viewer, ids: ids)).ids) }
        )
    }
}
