import DouyinCore
import DouyinCrypto
import DouyinModels
import NIOCore

/// `douyin-auth`: credentials and token signing keys; register, login, public keys.
public enum AuthService {
    public static func run(config: DouyinConfig) async throws {
        let host = try await ServiceHost(config: config, schema: "auth")
        let db = host.postgres!
        let credentials = CredentialStore(db: db)
        // Half the cores by default: hashing must not starve the event loops of CPU.
        let kdfThreads = config.reader.int(forKey: "kdf.threads", default: max(1, System.coreCount / 2))
        let passwords = try PasswordWork(threads: kdfThreads)
        let tokens = TokenIssuer(store: SigningKeyStore(db: db), ttl: config.tokenTTL)
        try await tokens.prepare(logger: host.logger)

        host.rpc.register(AuthRPC.PublicKeys.self) { _ in .init(keys: try await tokens.publicKeys()) }

        let router = host.makeRouter()
        AuthRoutes(
            registration: Registration(
                store: credentials, passwords: passwords, tokens: tokens, users: host.client(for: .user), logger: host.logger
            ),
            login: Login(store: credentials, passwords: passwords, tokens: tokens, throttle: LoginThrottle(redis: host.redis))
        ).add(to: router)
        try await host.run(router)
        await passwords.shutdown()
    }
}
