import DouyinClients
import DouyinHost
import DouyinModels

/// `douyin-user`: profiles and follows; user info, relation action and lists.
public enum UserService {
    public static func run(config: DouyinConfig) async throws {
        try await ServiceHost.serve(config: config, schema: "users") { host in
            let store = ProfileStore(db: host.postgres!)
            let relationStore = RelationStore(db: host.postgres!)
            let versions = ContentVersions(redis: host.redis, logger: host.logger)
            let sizes = config.cacheSizes
            let directory = UserDirectory(
                store: store, relations: relationStore, videos: host.client(for: .video), cache: UserCache(versions: versions, sizes: sizes)
            )
            UserRPCMethods(store: store, relations: relationStore, directory: directory).register(on: host.rpc)
            let router = host.makeRouter()
            UserRoutes(directory: directory).add(to: router)
            let relations = Relations(
                store: relationStore,
                users: KnownUsers(capacity: sizes.knownUsers) { ids in Array(try await store.existing(ids)) },
                directory: directory,
                chat: host.client(for: .chat),
                versions: versions,
                pages: RelationPages(versions: versions, maxPages: sizes.pages)
            )
            RelationRoutes(relations: relations).add(to: router)
            try await host.run(router)
        }
    }
}
