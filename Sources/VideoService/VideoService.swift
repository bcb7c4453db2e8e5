import DouyinCore
import DouyinModels
import Foundation

/// `douyin-video`: videos, media, favorites, comments and the per-user video counters.
public enum VideoService {
    public static func run(config: DouyinConfig) async throws {
        let host = try await ServiceHost(config: config, schema: "video")
        let db = host.postgres!
        let store = VideoStore(db: db)
        let storage = try LocalStorage(root: config.reader.string(forKey: "storage.local_dir", default: ".local/media"))
        let users = host.client(for: .user)
        VideoRPCMethods(stats: UserStatsStore(db: db)).register(on: host.rpc)

        let assembler = VideoAssembler(store: store, users: users)
        let knownUsers = KnownUsers(users: users)
        let media = MediaBase(publicBaseURL: config.publicBaseURL)

        let router = host.makeRouter()
        VideoRoutes(
            store: store,
            assembler: assembler,
            publishing: Publishing(store: store, storage: storage, logger: host.logger),
            receiver: UploadReceiver(limit: config.maxUploadBytes, scratchDirectory: storage.scratchDirectory),
            users: knownUsers,
            identity: host.identityResolver,
            media: media
        ).add(to: router)
        InteractionRoutes(
            interactions: Interactions(
                videos: store, favorites: FavoriteStore(db: db), comments: CommentStore(db: db),
                assembler: assembler, users: users, knownUsers: knownUsers
            ),
            media: media
        ).add(to: router)
        MediaRoutes(storage: storage).add(to: router)
        try await host.run(router)
    }
}
