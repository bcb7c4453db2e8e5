import DouyinCaching
import DouyinClients
import DouyinModels

/// Everything the user service's routes and RPC methods use, built once: the
/// rules wired to their boundaries. `UserService.run` passes the PostgreSQL stores,
/// the video and chat services and the Redis counters; unit tests pass fakes.
struct UserContext: Sendable {
    /// A batch of users' video counters (the video service).
    typealias VideoStats = @Sendable ([UserID]) async throws -> [UserID: UserVideoStats]
    /// The latest message between a user (first argument) and each peer (the chat service).
    typealias LatestMessages = @Sendable (UserID, [UserID]) async throws -> [UserID: Message]

    let profiles: any ProfileStoring
    let follows: any RelationStoring
    let directory: UserDirectory
    let relations: Relations

    /// - Parameter maxAge: how long users and list pages stay in memory at most, even
    ///   while their versions hold (which bounds staleness if a version bump failed).
    init(
        profiles: any ProfileStoring, follows: any RelationStoring, versions: ContentVersions, sizes: CacheSizes,
        maxAge: Duration = .seconds(5), videoStats: @escaping VideoStats, latestMessages: @escaping LatestMessages
    ) {
        self.profiles = profiles
        self.follows = follows
        directory = UserDirectory(
            profiles: profiles, follows: follows, videoStats: videoStats, cache: UserCache(versions: versions, sizes: sizes, maxAge: maxAge)
        )
        relations = Relations(
            store: follows,
            users: KnownUsers(capacity: sizes.knownUsers) { ids in Array(try await profiles.existing(ids)) },
            directory: directory,
            latestMessages: latestMessages,
            versions: versions,
            pages: RelationPages(versions: versions, maxAge: maxAge, maxPages: sizes.pages)
        )
    }
}
