import DouyinModels
import DouyinRPC
import Logging

/// Creates an account: credentials here, profile in the user service, then a token.
///
/// Never leaves a half-made account visible: the credential row stays
/// `pending` (unable to log in, username reserved) until the profile exists,
/// and is removed again, with the profile, when the user service call fails.
public struct Registration: Sendable {
    let store: CredentialStore
    let passwords: PasswordWork
    let tokens: TokenIssuer
    let users: RPCClient
    let logger: Logger

    public func register(username: String, password: String) async throws -> AuthResponse {
        try Credentials.validateUsername(username)
        let hash = try await passwords.hash(password)
        guard let id = try await store.reserve(username: username, passwordHash: hash) else {
            throw DouyinError(.usernameTaken)
        }
        do {
            _ = try await users.call(UserRPC.CreateProfile.self, .init(id: id, name: username))
        } catch {
            logger.warning("profile creation failed; undoing registration", metadata: ["user_id": "\(id)", "error": "\(error)"])
            _ = try? await users.call(UserRPC.DeleteProfile.self, .init(id: id))
            try? await store.release(id)
            throw (error as? DouyinError)?.code == .deadlineExceeded ? error : DouyinError(.serviceUnavailable)
        }
        try await store.activate(id)
        return AuthResponse(userID: id, token: try tokens.issue(for: id))
    }
}
