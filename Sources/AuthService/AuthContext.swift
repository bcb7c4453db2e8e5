import DouyinModels
import Logging

/// Everything the auth service's routes and RPC methods use, built once:
/// `AuthService.run` passes the PostgreSQL stores, the Redis attempt counters and
/// the user service; unit tests pass fakes.
struct AuthContext: Sendable {
    let tokens: TokenIssuer
    let registration: Registration
    let login: Login

    init(
        credentials: any CredentialStoring, signingKeys: any SigningKeyStoring, attempts: any AttemptCounters,
        profiles: Registration.Profiles, passwords: PasswordWork, settings: AuthSettings, logger: Logger
    ) {
        tokens = TokenIssuer(store: signingKeys, ttl: settings.tokenTTL, rotation: settings.keyRotation, logger: logger)
        registration = Registration(store: credentials, passwords: passwords, tokens: tokens, profiles: profiles, logger: logger)
        login = Login(store: credentials, passwords: passwords, tokens: tokens, throttle: LoginThrottle(counters: attempts))
    }
}

/// The auth service's own settings, read once at start.
struct AuthSettings: Sendable {
    var tokenTTL: Duration
    /// How long a signing key signs; the same on every auth instance (keys retire by age alone).
    var keyRotation: Duration
    /// Concurrent password hashes.
    var kdfThreads: Int
}
