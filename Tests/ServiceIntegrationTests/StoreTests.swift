@testable import AuthService
import DouyinPostgres
import DouyinTestSupport
import Foundation
import Logging
@testable import UserService
import Testing

/// The stores against a real PostgreSQL with the real migrations.
@Suite(.enabled(if: TestServers.enabled, TestServers.skipReason))
struct StoreTests {
    func database(_ schema: String, folder: String) async throws -> PostgresClient {
        try await TestServers.migratedDatabase(schema: schema, folder: folder)
    }

    @Test func concurrentReservationsOfOneNameYieldOneID() async throws {
        let db = try await database("auth", folder: "auth")
        let store = CredentialStore(db: db)
        let ids = try await withThrowingTaskGroup(of: Int64?.self) { group in
            for _ in 0..<20 { group.addTask { try await store.reserve(username: "zoe", passwordHash: "h") } }
            return try await group.reduce(into: [Int64?]()) { $0.append($1) }
        }
        #expect(ids.compactMap { $0 }.count == 1)
        await db.shutdown()
    }

    @Test func pendingAccountsCannotLogInUntilActivated() async throws {
        let db = try await database("auth", folder: "auth")
        let store = CredentialStore(db: db)
        let id = try #require(try await store.reserve(username: "yan", passwordHash: "h"))
        #expect(try await store.activeCredential(username: "yan") == nil)
        try await store.activate(id)
        #expect(try await store.activeCredential(username: "yan")?.id == id)
        // An active account is never released.
        try await store.release(id)
        #expect(try await store.activeCredential(username: "yan")?.id == id)
        await db.shutdown()
    }

    @Test func abandonedPendingReservationIsReclaimed() async throws {
        let db = try await database("auth", folder: "auth")
        let store = CredentialStore(db: db)
        let first = try #require(try await store.reserve(username: "xia", passwordHash: "h"))
        #expect(try await store.reserve(username: "xia", passwordHash: "h") == nil)
        try await db.query("UPDATE auth.credentials SET created_at = now() - interval '2 minutes' WHERE user_id = \(first)")
        let second = try await store.reserve(username: "xia", passwordHash: "h")
        #expect(second != nil && second != first)
        await db.shutdown()
    }

    @Test func profilesAndFollowFlagsInBatches() async throws {
        let db = try await database("users", folder: "user")
        let store = ProfileStore(db: db)
        for id in Int64(1)...3 { try await store.create(id: id, name: "u\(id)") }
        try await store.create(id: 1, name: "ignored")
        try await db.query("INSERT INTO users.follows (follower_id, followee_id) VALUES (\(Int64(1)), \(Int64(2)))")
        let profiles = try await store.profiles([1, 2, 3, 99])
        #expect(profiles.keys.sorted() == [1, 2, 3])
        #expect(profiles[1]?.name == "u1")
        let relations = RelationStore(db: db)
        #expect(try await relations.followed(by: 1, among: [2, 3, 99]) == [2])
        #expect(try await relations.followed(by: 2, among: [1, 3]) == [])
        try await db.query("INSERT INTO users.follows (follower_id, followee_id) VALUES (\(Int64(1)), \(Int64(3)))")
        #expect(try await relations.followees(of: 1, upTo: 2) == [2, 3])
        #expect(try await relations.followees(of: 1, upTo: 1) == nil, "more than the limit")
        #expect(try await relations.followees(of: 2, upTo: 1) == [])
        await db.shutdown()
    }
}
