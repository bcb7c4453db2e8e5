import DouyinModels

/// Checks a username and password and issues a token.
///
/// Unknown users and wrong passwords fail identically, in the same time (a
/// decoy hash is verified for unknown users), so answers reveal no usernames.
public struct Login: Sendable {
    let store: any CredentialStoring
    let passwords: PasswordWork
    let tokens: TokenIssuer
    let throttle: LoginThrottle

    public func login(username: String, password: String, clientAddress: String) async throws -> AuthResponse {
        try await throttle.begin(username: username, address: clientAddress)
        let credential = try await store.activeCredential(username: username)
        guard try await passwords.verify(password, against: credential?.passwordHash), let credential else {
            throw DouyinError(.badCredentials)
        }
        await throttle.succeeded(username: username, address: clientAddress)
        return AuthResponse(userID: credential.id, token: try tokens.issue(for: credential.id))
    }
}
