import DouyinCrypto
import DouyinHost
import DouyinModels
import NIOCore

/// `douyin-auth`: credentials and token signing keys; register, login, public keys.
public enum AuthService {
    public static func run(config: DouyinConfig) async throws {
        let settings = try settings(config)
        try await ServiceHost.serve(config: config, schema: "auth") { host in
            let db = try host.database()
            let passwords = try PasswordWork(threads: settings.kdfThreads)
            host.own("password pool") { await passwords.shutdown() }
            let users = host.client(for: .user)
            let context = AuthContext(
                credentials: CredentialStore(db: db), signingKeys: SigningKeyStore(db: db),
                attempts: RedisAttemptCounters(redis: host.redis),
                profiles: .init(
                    create: { id, name in _ = try await users.call(UserRPC.CreateProfile.self, .init(id: id, name: name)) },
                    delete: { id in _ = try await users.call(UserRPC.DeleteProfile.self, .init(id: id)) }
                ),
                passwords: passwords, settings: settings, logger: host.logger
            )
            try await context.tokens.prepare()
            host.rpc.register(AuthRPC.PublicKeys.self) { _ in .init(keys: try await context.tokens.publicKeys()) }

            let router = host.makeRouter()
            AuthRoutes(registration: context.registration, login: context.login).add(to: router)
            try await host.run(router, extraServices: [context.tokens])
        }
    }

    static func settings(_ config: DouyinConfig) throws -> AuthSettings {
        // Half the cores by default: hashing must not starve the event loops of CPU.
        let kdfThreads = try config.settings.int("kdf.threads", default: max(1, System.coreCount / 2), in: 1...256)
        let rotation = try config.settings.int("auth.key_rotation_seconds", default: 30 * 86_400, in: 1...Int(Int32.max))
        return AuthSettings(tokenTTL: config.tokenTTL, keyRotation: .seconds(rotation), kdfThreads: kdfThreads)
    }
}
