import DouyinCrypto
import DouyinModels

/// What the account rules need from the credential table (`CredentialStore`).
///
/// A reserved username is `pending`: taken, but unable to log in until activated.
public protocol CredentialStoring: Sendable {
    /// Reserves `username` for a new user id; nil when it is taken.
    func reserve(username: String, passwordHash: String) async throws -> UserID?
    func activate(_ id: UserID) async throws
    /// Frees a pending reservation (an active account stays).
    func release(_ id: UserID) async throws
    /// The id and password hash of an active account.
    func activeCredential(username: String) async throws -> (id: UserID, passwordHash: String)?
}

/// What the token rules need from the signing key table (`SigningKeyStore`).
public protocol SigningKeyStoring: Sendable {
    /// The newest key made within `window`, if any.
    func newestKey(signingWithin window: Duration) async throws -> SigningKeyStore.StoredKey?
    /// Public halves of the keys made within `age`.
    func verificationKeys(youngerThan age: Duration) async throws -> [AuthRPC.PublicKey]
    func insert(kid: String, key: Ed25519PrivateKey) async throws
    func delete(olderThan age: Duration) async throws
}

extension CredentialStore: CredentialStoring {}
extension SigningKeyStore: SigningKeyStoring {}
