import DouyinClients
import DouyinHost
import DouyinModels
import Foundation

/// `douyin-video`: videos, media, favorites, comments and the per-user video counters.
public enum VideoService {
    public static func run(config: DouyinConfig) async throws {
        try await ServiceHost.serve(config: config, schema: "video") { host in
            let db = try host.database()
            let storage = try await makeStorage(config)
            let users = host.client(for: .user)
            let versions = ContentVersions(redis: host.redis, logger: host.logger)
            let context = VideoContext(
                videos: VideoStore(db: db), favorites: FavoriteStore(db: db), comments: CommentStore(db: db), storage: storage,
                users: .remote(users), existing: { ids in try await users.call(UserRPC.Existing.self, .init(ids: ids)).ids },
                versions: versions, sizes: config.cacheSizes, logger: host.logger
            )
            VideoRPCMethods(stats: UserStatsStore(db: db)).register(on: host.rpc)

            let media = MediaBase(publicBaseURL: config.publicBaseURL)
            let router = host.makeRouter()
            VideoRoutes(
                service: context,
                receiver: UploadReceiver(limit: config.maxUploadBytes, scratchDirectory: storage.scratchDirectory),
                identity: host.identityResolver,
                media: media
            ).add(to: router)
            InteractionRoutes(interactions: context.interactions, media: media).add(to: router)
            MediaRoutes(storage: storage).add(to: router)
            let counters = try host.counterReconciliation(
                checks: [
                    VideoCounters.videos { await versions.changed(videos: $0) },
                    VideoCounters.userStats { await versions.changed(users: $0) },
                ],
                lockKey: VideoCounters.lockKey
            )
            let transcoding = TranscodeWorkers(
                queue: TranscodeQueue(db: db), storage: storage, versions: versions,
                settings: try transcodeSettings(config), logger: host.logger
            )
            try await host.run(router, extraServices: [counters, transcoding])
        }
    }

    /// `transcode.workers` (default 1; 0 = this instance makes no renditions), `.lease_seconds`,
    /// `.max_attempts`, `.retry_seconds` (the first retry's wait, doubled after each failure).
    static func transcodeSettings(_ config: DouyinConfig) throws -> TranscodeSettings {
        let settings = config.settings
        return TranscodeSettings(
            workers: try settings.int("transcode.workers", default: 1, in: 0...64),
            lease: .seconds(try settings.int("transcode.lease_seconds", default: 60, in: 3...3600)),
            maxAttempts: try settings.int("transcode.max_attempts", default: 4, in: 1...100),
            firstRetry: .seconds(try settings.int("transcode.retry_seconds", default: 10, in: 0...86_400))
        )
    }

    /// `storage.backend`: `local` (default, under `storage.local_dir`) or `s3`
    /// (`storage.s3.endpoint`, `.bucket`, `.region`; keys from the environment only).
    static func makeStorage(_ config: DouyinConfig) async throws -> any MediaStorage {
        let settings = config.settings
        switch try settings.choice("storage.backend", default: "local", among: ["local", "s3"]) {
        case "local":
            return try LocalStorage(root: settings.string("storage.local_dir", default: ".local/media"))
        case "s3":
            guard let endpoint = settings.string("storage.s3.endpoint"), let bucket = settings.string("storage.s3.bucket") else {
                throw ConfigError.invalid("storage.s3.endpoint and storage.s3.bucket are required for the s3 backend")
            }
            let storage = try S3Storage(.init(
                endpoint: endpoint, bucket: bucket,
                region: settings.string("storage.s3.region", default: "us-east-1"),
                accessKey: settings.string("storage.s3.access_key", isSecret: true, default: ""),
                secretKey: settings.string("storage.s3.secret_key", isSecret: true, default: ""),
                scratchDirectory: settings.string("storage.scratch_dir", default: NSTemporaryDirectory() + "douyin-uploads")
            ))
            try await storage.prepare()
            return storage
        case let other:
            throw ConfigError.invalid("storage.backend must be local or s3, not \(other)")
        }
    }
}
