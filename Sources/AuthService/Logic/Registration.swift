import DouyinModels
import Logging

/// Creates an account: credentials here, profile in the user service, then a token.
///
/// Never leaves a half-made account visible: the credential row stays
/// `pending` (unable to log in, username reserved) until the profile exists,
/// and is removed again, with the profile, when the user service call fails.
public struct Registration: Sendable {
    let store: any CredentialStoring
    let passwords: PasswordWork
    let tokens: TokenIssuer
    let profiles: Profiles
    let logger: Logger

    /// The user service's side of an account: its profile.
    public struct Profiles: Sendable {
        public var create: @Sendable (UserID, _ name: String) async throws -> Void
        public var delete: @Sendable (UserID) async throws -> Void

        public init(
            create: @escaping @Sendable (UserID, _ name: String) async throws -> Void,
            delete: @escaping @Sendable (UserID) async throws -> Void
        ) {
            self.create = create
            self.delete = delete
        }
    }

    public func register(username: String, password: String) async throws -> AuthResponse {
        try Credentials.validateUsername(username)
        let hash = try await passwords.hash(password)
        guard let id = try await store.reserve(username: username, passwordHash: hash) else {
            throw DouyinError(.usernameTaken)
        }
        do {
            try await profiles.create(id, username)
        } catch {
            logger.warning("profile creation failed; undoing registration", metadata: ["user_id": "\(id)", "error": "\(error)"])
            try? await profiles.delete(id)
            try? await store.release(id)
            throw (error as? DouyinError)?.code == .deadlineExceeded ? error : DouyinError(.serviceUnavailable)
        }
        try await store.activate(id)
        return AuthResponse(userID: id, token: try tokens.issue(for: id))
    }
}
