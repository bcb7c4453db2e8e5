import DouyinClients
import DouyinHost
import DouyinModels

/// `douyin-user`: profiles and follows; user info, relation action and lists.
public enum UserService {
    public static func run(config: DouyinConfig) async throws {
        try await ServiceHost.serve(config: config, schema: "users") { host in
            let db = try host.database()
            let (videos, chat) = (host.client(for: .video), host.client(for: .chat))
            let versions = ContentVersions(redis: host.redis, logger: host.logger)
            let context = UserContext(
                profiles: ProfileStore(db: db), follows: RelationStore(db: db),
                versions: versions, sizes: config.cacheSizes,
                videoStats: { ids in try await videos.call(VideoRPC.UserStats.self, .init(ids: ids)).stats },
                latestMessages: { user, peers in try await chat.call(ChatRPC.LatestMessages.self, .init(user: user, peers: peers)).latest }
            )
            UserRPCMethods(context: context).register(on: host.rpc)
            let router = host.makeRouter()
            UserRoutes(directory: context.directory).add(to: router)
            RelationRoutes(relations: context.relations).add(to: router)
            let counters = try host.counterReconciliation(
                checks: [ProfileCounters.check { await versions.changed(users: $0) }], lockKey: ProfileCounters.lockKey
            )
            try await host.run(router, extraServices: [counters])
        }
    }
}
