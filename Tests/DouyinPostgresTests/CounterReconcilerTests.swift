import DouyinPostgres
import DouyinTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// Stored counters checked against the rows they count, on a real PostgreSQL: drift is
/// found and repaired, a consistent table shows none, and writes racing a pass are
/// neither lost nor counted twice.
@Suite(.enabled(if: TestServers.enabled, TestServers.skipReason))
struct CounterReconcilerTests {
    static let lockKey: Int64 = 4242

    func database(url: String? = nil) async throws -> PostgresClient {
        var url = url
        if url == nil { url = try await TestServers.makeDatabase() }
        let db = PostgresClient(.init(conninfo: url!, maxConnections: 8), logger: Logger(label: "test"))
        try await db.withConnection { connection in
            try connection.executeScript("""
                CREATE TABLE owners (id BIGINT PRIMARY KEY, items BIGINT NOT NULL DEFAULT 0);
                CREATE TABLE items (owner_id BIGINT NOT NULL REFERENCES owners (id));
                INSERT INTO owners (id) SELECT generate_series(1, 7);
                """)
        }
        return db
    }

    static let repairedOwners = RepairedOwners()

    func reconciler(_ db: PostgresClient, batchSize: Int = 3) -> CounterReconciler {
        let check = CounterCheck(
            table: "owners", key: "id", counting: [.init("items", "SELECT count(*) FROM items i WHERE i.owner_id = o.id")],
            repaired: { ids in Self.repairedOwners.add(ids) }
        )
        return CounterReconciler(db: db, checks: [check], batchSize: batchSize, lockKey: Self.lockKey, logger: Logger(label: "test"))
    }

    /// One statement adds an item and counts it, as the services' writes do.
    static func addItem(_ owner: Int64, on db: PostgresClient) async throws {
        try await db.query("WITH added AS (INSERT INTO items (owner_id) VALUES (\(owner)) RETURNING owner_id) UPDATE owners SET items = items + 1 WHERE id = (SELECT owner_id FROM added)")
    }

    @Test func driftIsRepairedAndReportedOnce() async throws {
        let db = try await database()
        for owner: Int64 in [1, 2, 2, 7] { try await Self.addItem(owner, on: db) }
        let reconciler = reconciler(db)
        #expect(try await reconciler.pass() == [], "consistent counters show no drift")
        // By hand, as a bad migration or a restore might: across batches (3 per batch).
        try await db.query("UPDATE owners SET items = 5 WHERE id = 2")
        try await db.query("UPDATE owners SET items = 3 WHERE id = 4")
        try await db.query("UPDATE owners SET items = 0 WHERE id = 7")
        let repairs = try #require(try await reconciler.pass())
        #expect(repairs == [
            CounterRepair(table: "owners", id: 2, counter: "items", stored: 5, counted: 2),
            CounterRepair(table: "owners", id: 4, counter: "items", stored: 3, counted: 0),
            CounterRepair(table: "owners", id: 7, counter: "items", stored: 0, counted: 1),
        ])
        let stored = try await db.query("SELECT id, items FROM owners ORDER BY id").decode(Int64.self, Int64.self)
        #expect(stored.map(\.1) == [1, 2, 0, 0, 0, 0, 1])
        #expect(Self.repairedOwners.all.isSuperset(of: [2, 4, 7]), "caches of the repaired owners are told")
        #expect(try await reconciler.pass() == [], "once repaired, no drift")
        await db.shutdown()
    }

    /// Writes that race a pass keep their counts exact: a pass that finds drift never sets a
    /// counter from a count that a write committed meanwhile has made old. (Each round drifts
    /// every counter by hand, repairs while four writers add items, and checks at once.)
    @Test func writesDuringAPassAreNeitherLostNorCountedTwice() async throws {
        let db = try await database()
        let reconciler = reconciler(db, batchSize: 2)
        let leftWrong = try await withThrowingTaskGroup(of: Int64.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for index in 0..<300 { try await Self.addItem(Int64((writer + index) % 7 + 1), on: db) }
                    return 0
                }
            }
            group.addTask {
                var wrong: Int64 = 0
                for _ in 0..<30 {
                    try await db.query("UPDATE owners SET items = items + 100")
                    _ = try await reconciler.pass()
                    wrong += try await Self.mismatched(db)
                }
                return wrong
            }
            return try await group.reduce(0, +)
        }
        #expect(leftWrong == 0, "a pass left counters wrong")
        #expect(try await Self.mismatched(db) == 0)
        #expect(try await db.query("SELECT count(*) FROM items").first!.column(0, as: Int64.self) == 1200)
        await db.shutdown()
    }

    static func mismatched(_ db: PostgresClient) async throws -> Int64 {
        try await db.query(
            "SELECT count(*) FROM owners o WHERE o.items <> (SELECT count(*) FROM items i WHERE i.owner_id = o.id)"
        ).first!.column(0, as: Int64.self)
    }

    /// One instance at a time: while another process holds the service's lock, a pass steps aside.
    @Test func anotherInstancesPassExcludesThisOne() async throws {
        let url = try await TestServers.makeDatabase()
        let db = try await database(url: url)
        try await db.query("UPDATE owners SET items = 9 WHERE id = 1")
        let otherInstance = try PostgresConnection(conninfo: url)
        _ = try otherInstance.query("SELECT pg_advisory_lock(\(Self.lockKey))")
        #expect(try await reconciler(db).pass() == nil)
        otherInstance.close()
        // The server lets go of a closed session's locks a moment after the close.
        var repairs: [CounterRepair]?
        for _ in 0..<100 where repairs == nil {
            repairs = try await reconciler(db).pass()
            if repairs == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(repairs?.count == 1, "the lock's holder went away: this instance reconciles")
        await db.shutdown()
    }
}

final class RepairedOwners: Sendable {
    private let owners = Mutex<Set<Int64>>([])
    func add(_ ids: [Int64]) { owners.withLock { $0.formUnion(ids) } }
    var all: Set<Int64> { owners.withLock { $0 } }
}
