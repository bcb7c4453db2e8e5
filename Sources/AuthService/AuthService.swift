import DouyinCrypto
import DouyinHost
import DouyinModels
import NIOCore

/// `douyin-auth`: credentials and token signing keys; register, login, public keys.
public enum AuthService {
    public static func run(config: DouyinConfig) async throws {
        try await ServiceHost.serve(config: config, schema: "auth") { host in
            let db = host.postgres!
            let credentials = CredentialStore(db: db)
            // Half the cores by default: hashing must not starve the event loops of CPU.
            let kdfThreads = config.reader.int(forKey: "kdf.threads", default: max(1, System.coreCount / 2))
            let passwords = try PasswordWork(threads: kdfThreads)
            host.own("password pool") { await passwords.shutdown() }
            // The same on every auth instance: keys rotate by age, a fleet-wide rule (TokenIssuer).
            let rotation = config.reader.int(forKey: "auth.key_rotation_seconds", default: 30 * 86_400)
            guard rotation > 0 else { throw ConfigError.invalid("auth.key_rotation_seconds must be positive") }
            let tokens = TokenIssuer(store: SigningKeyStore(db: db), ttl: config.tokenTTL, rotation: .seconds(rotation), logger: host.logger)
            try await tokens.prepare()

            host.rpc.register(AuthRPC.PublicKeys.self) { _ in .init(keys: try await tokens.publicKeys()) }

            let router = host.makeRouter()
            AuthRoutes(
                registration: Registration(
                    store: credentials, passwords: passwords, tokens: tokens, users: host.client(for: .user), logger: host.logger
                ),
                login: Login(store: credentials, passwords: passwords, tokens: tokens, throttle: LoginThrottle(redis: host.redis))
            ).add(to: router)
            try await host.run(router, extraServices: [tokens])
        }
    }
}
