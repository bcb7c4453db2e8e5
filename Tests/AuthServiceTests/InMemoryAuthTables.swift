import DouyinCrypto
import DouyinModels
import NIOConcurrencyHelpers
@testable import AuthService

/// The credential and signing key tables in memory, keeping the protocols' promises.
final class InMemoryAuthTables: CredentialStoring, SigningKeyStoring {
    private struct Credential {
        var username: String
        var passwordHash: String
        var active = false
    }

    private struct Tables {
        var credentials: [UserID: Credential] = [:]
        var lastID: UserID = 0
        var keys: [(kid: String, key: Ed25519PrivateKey)] = []
    }

    private let tables = NIOLockedValueBox(Tables())

    var usernames: [String] { tables.withLockedValue { $0.credentials.values.map(\.username).sorted() } }

    func reserve(username: String, passwordHash: String) async throws -> UserID? {
        tables.withLockedValue { tables in
            guard !tables.credentials.values.contains(where: { $0.username == username }) else { return nil }
            tables.lastID += 1
            tables.credentials[tables.lastID] = Credential(username: username, passwordHash: passwordHash)
            return tables.lastID
        }
    }

    func activate(_ id: UserID) async throws {
        tables.withLockedValue { $0.credentials[id]?.active = true }
    }

    func release(_ id: UserID) async throws {
        tables.withLockedValue { tables in
            if tables.credentials[id]?.active == false { tables.credentials[id] = nil }
        }
    }

    func activeCredential(username: String) async throws -> (id: UserID, passwordHash: String)? {
        tables.withLockedValue { tables in
            tables.credentials.first { $0.value.username == username && $0.value.active }.map { ($0.key, $0.value.passwordHash) }
        }
    }

    func newestKey(signingWithin window: Duration) async throws -> SigningKeyStore.StoredKey? {
        tables.withLockedValue { $0.keys.last.map { SigningKeyStore.StoredKey(kid: $0.kid, privateKey: $0.key, ageMilliseconds: 0) } }
    }

    func verificationKeys(youngerThan age: Duration) async throws -> [AuthRPC.PublicKey] {
        tables.withLockedValue { tables in
            tables.keys.map { AuthRPC.PublicKey(kid: $0.kid, publicKey: Base64URL.encode($0.key.publicKey.rawRepresentation)) }
        }
    }

    func insert(kid: String, key: Ed25519PrivateKey) async throws {
        tables.withLockedValue { $0.keys.append((kid, key)) }
    }

    func delete(olderThan age: Duration) async throws {}
}

/// Attempt counters in memory on a clock the test moves; `unreachable` fails every call.
final class InMemoryAttempts: AttemptCounters {
    private struct Counter {
        var count: Int64
        var endsAt: Duration
    }

    private let counters = NIOLockedValueBox<[String: Counter]>([:])
    private let clock = NIOLockedValueBox(Duration.zero)
    let unreachable = NIOLockedValueBox(false)

    struct Unreachable: Error {}

    func advance(by step: Duration) {
        clock.withLockedValue { $0 += step }
    }

    func increment(_ keys: [(key: String, window: Duration)]) async throws -> [(count: Int64, remaining: Duration)] {
        if unreachable.withLockedValue({ $0 }) { throw Unreachable() }
        let now = clock.withLockedValue { $0 }
        return counters.withLockedValue { counters in
            keys.map { key, window in
                var counter = counters[key].flatMap { $0.endsAt > now ? $0 : nil } ?? Counter(count: 0, endsAt: now + window)
                counter.count += 1
                counters[key] = counter
                return (counter.count, counter.endsAt - now)
            }
        }
    }

    func settle(reset: String, giveBack: String, window: Duration) async throws {
        if unreachable.withLockedValue({ $0 }) { throw Unreachable() }
        counters.withLockedValue { counters in
            counters[reset] = nil
            counters[giveBack]?.count -= 1
        }
    }
}
