import DouyinCaching
import DouyinClients
import DouyinModels
import Logging

/// Everything the video service's routes and RPC methods use, built once:
/// `VideoService.run` passes the PostgreSQL stores, the media storage, the user
/// service and the Redis counters; unit tests pass fakes.
struct VideoContext: Sendable {
    let videos: any VideoStoring
    let assembler: VideoAssembler
    let feed: Feed
    let interactions: Interactions
    let publishing: Publishing
    let knownUsers: KnownUsers

    /// - Parameters:
    ///   - users: where User objects and follow flags come from (the user service).
    ///   - existing: which of some ids name users (the user service).
    init(
        videos: any VideoStoring, favorites: any FavoriteStoring, comments: any CommentStoring, storage: any MediaStorage,
        users: UserCache.Loaders, existing: @escaping @Sendable ([UserID]) async throws -> [UserID],
        versions: ContentVersions, sizes: CacheSizes, logger: Logger
    ) {
        self.videos = videos
        let remoteUsers = RemoteUsers(loaders: users, versions: versions, sizes: sizes)
        assembler = VideoAssembler(
            store: videos, users: remoteUsers, versions: versions, likes: ViewerFlags(name: "like_flags", maxViewers: sizes.viewers)
        )
        knownUsers = KnownUsers(capacity: sizes.knownUsers, lookup: existing)
        feed = Feed(
            store: videos, assembler: assembler, head: FeedHeadCache(versions: versions),
            viewerPages: ViewerFeedPages(maxPages: sizes.feedPages), versions: versions
        )
        interactions = Interactions(
            videos: videos, favorites: favorites, comments: comments, assembler: assembler, users: remoteUsers,
            knownUsers: knownUsers, versions: versions, commentPages: VersionedCache(name: "comment_pages", capacity: sizes.pages)
        )
        publishing = Publishing(store: videos, storage: storage, versions: versions, logger: logger)
    }
}
