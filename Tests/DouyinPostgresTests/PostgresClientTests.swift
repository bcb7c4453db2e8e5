import DouyinPostgres
import DouyinTestSupport
import Foundation
import Logging
import Testing

@Suite(.enabled(if: TestServers.enabled, TestServers.skipReason))
struct PostgresClientTests {
    func client(maxConnections: Int = 4, acquireTimeout: Duration = .seconds(5)) async throws -> PostgresClient {
        let url = try await TestServers.makeDatabase()
        return PostgresClient(
            PostgresConfiguration(conninfo: url, maxConnections: maxConnections, acquireTimeout: acquireTimeout),
            logger: Logger(label: "test")
        )
    }

    @Test func bindsParametersVerbatim() async throws {
        let db = try await client()
        try await db.query("CREATE TABLE t (id BIGINT, name TEXT COLLATE \"C\")")
        let tricky = ["O'Brien", "\"; DROP TABLE t; --", "caf\u{E9}", "cafe\u{301}", "😀", "\\x00", "$1"]
        for (index, name) in tricky.enumerated() {
            try await db.query("INSERT INTO t (id, name) VALUES (\(Int64(index)), \(name))")
        }
        let rows = try await db.query("SELECT id, name FROM t ORDER BY id").decode(Int64.self, String.self)
        #expect(rows.map(\.1) == tricky)
        // Precomposed and decomposed forms are different strings (API.md 1.2).
        let count = try await db.query("SELECT count(*) FROM t WHERE name = \("caf\u{E9}")").first!.column(0, as: Int64.self)
        #expect(count == 1)
        await db.shutdown()
    }

    @Test func refusesNulInParameters() async throws {
        let db = try await client()
        await #expect(throws: PostgresError.nulInParameter(index: 0)) {
            try await db.query("SELECT \("a\u{0}b")::text")
        }
        await db.shutdown()
    }

    @Test func decodesTypedRowsAndNulls() async throws {
        let db = try await client()
        let row = try await db.query("SELECT 1::bigint, 'x'::text, true, NULL::text, 2.5::float8").first!
        let (a, b, c, d, e) = try row.decode(Int64.self, String.self, Bool.self, String?.self, Double.self)
        #expect(a == 1 && b == "x" && c && d == nil && e == 2.5)
        #expect(throws: PostgresError.self) { try row.column(3, as: String.self) }
        let bytes = try await db.query("SELECT \(PostgresBytes([0, 1, 254, 255]))::bytea").first!.column(0, as: PostgresBytes.self)
        #expect(bytes.bytes == [0, 1, 254, 255])
        let ids = try await db.query("SELECT x FROM unnest(\([Int64(3), 1, 2])::bigint[]) AS x ORDER BY x").rows.map { try $0.column(0, as: Int64.self) }
        #expect(ids == [1, 2, 3])
        await db.shutdown()
    }

    @Test func transactionRollsBackOnError() async throws {
        let db = try await client()
        try await db.query("CREATE TABLE t (id BIGINT PRIMARY KEY)")
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await db.transaction { connection in
                try connection.query("INSERT INTO t VALUES (\(Int64(1)))")
                throw Abort()
            }
        }
        try await db.transaction { connection in try connection.query("INSERT INTO t VALUES (\(Int64(2)))") }
        let ids = try await db.query("SELECT id FROM t").rows.map { try $0.column(0, as: Int64.self) }
        #expect(ids == [2])
        await db.shutdown()
    }

    @Test func uniqueViolationIsTyped() async throws {
        let db = try await client()
        try await db.query("CREATE TABLE t (id BIGINT PRIMARY KEY)")
        try await db.query("INSERT INTO t VALUES (\(Int64(1)))")
        do {
            try await db.query("INSERT INTO t VALUES (\(Int64(1)))")
            Issue.record("duplicate accepted")
        } catch let error as PostgresError {
            #expect(error.isUniqueViolation)
        }
        await db.shutdown()
    }

    @Test func exhaustedPoolTimesOut() async throws {
        let db = try await client(maxConnections: 1, acquireTimeout: .milliseconds(200))
        let holder = Task { try await db.query("SELECT pg_sleep(0.8)") }
        try await Task.sleep(for: .milliseconds(100))
        await #expect(throws: (any Error).self) { try await db.query("SELECT 1") }
        _ = try await holder.value
        try await db.query("SELECT 1")
        await db.shutdown()
    }

    /// A server restart cuts every connection; the next unit of work must succeed on a new one.
    @Test func reconnectsAfterConnectionsAreCut() async throws {
        let db = try await client(maxConnections: 2)
        let before = try await db.query("SELECT pg_backend_pid()").first!.column(0, as: Int32.self)
        let admin = PostgresClient(PostgresConfiguration(conninfo: try TestServers.requirePostgresURL(), maxConnections: 1), logger: Logger(label: "admin"))
        try await admin.query("SELECT pg_terminate_backend(\(before))")
        await admin.shutdown()
        // Idle long enough that the pool probes the connection before use.
        try await Task.sleep(for: .milliseconds(1100))
        let after = try await db.query("SELECT pg_backend_pid()").first!.column(0, as: Int32.self)
        #expect(after != before)
        await db.shutdown()
    }

    @Test func migrationsApplyOnceEvenConcurrently() async throws {
        let db = try await client()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "CREATE TABLE things (id BIGINT PRIMARY KEY);".write(to: directory.appendingPathComponent("001_things.sql"), atomically: true, encoding: .utf8)
        try "ALTER TABLE things ADD COLUMN name TEXT;".write(to: directory.appendingPathComponent("002_name.sql"), atomically: true, encoding: .utf8)
        let migrator = Migrator(schema: "sample", directory: directory)
        let logger = Logger(label: "test")
        async let first = migrator.migrate(db, logger: logger)
        async let second = migrator.migrate(db, logger: logger)
        let applied = try await first + second
        #expect(applied.sorted() == ["001_things.sql", "002_name.sql"])
        #expect(try await migrator.migrate(db, logger: logger).isEmpty)
        try await db.query("INSERT INTO sample.things (id, name) VALUES (\(Int64(1)), \("x"))")
        await db.shutdown()
    }

    /// Statements waiting at the same time share a pipeline: each still answers on its
    /// own, a failing one (a violation, a bad statement, a NUL) fails alone, and each is
    /// its own transaction.
    @Test func concurrentStatementsShareRoundTripsButNotOutcomes() async throws {
        let db = try await client(maxConnections: 1)
        try await db.query("CREATE TABLE k (id BIGINT PRIMARY KEY)")
        try await db.query("INSERT INTO k (id) VALUES (\(Int64(0)))")
        enum Outcome: Equatable { case inserted, duplicate, refused, echoed(Int64) }
        let outcomes = try await withThrowingTaskGroup(of: (Int, Outcome).self) { group in
            for index in 0..<200 {
                group.addTask {
                    do {
                        switch index % 5 {
                        case 0:
                            // Every fifth collides with the row inserted first.
                            try await db.query("INSERT INTO k (id) VALUES (\(Int64(index == 0 ? 0 : index)))")
                            return (index, .inserted)
                        case 1:
                            try await db.query("INSERT INTO k (id) VALUES (\(Int64(0)))")
                            return (index, .inserted)
                        case 2:
                            try await db.query("SELEKT \(Int64(index))")
                            return (index, .inserted)
                        case 3:
                            try await db.query("SELECT \("a\u{0}b")::text")
                            return (index, .inserted)
                        default:
                            let echoed = try await db.query("SELECT \(Int64(index))::bigint").first!.column(0, as: Int64.self)
                            return (index, .echoed(echoed))
                        }
                    } catch let error as PostgresError {
                        if case .server(sqlState: "23505", _) = error { return (index, .duplicate) }
                        return (index, .refused)
                    }
                }
            }
            return try await group.reduce(into: [Int: Outcome]()) { $0[$1.0] = $1.1 }
        }
        for index in 0..<200 {
            let expected: Outcome = switch index % 5 {
            case 0: index == 0 ? .duplicate : .inserted
            case 1: .duplicate
            case 2, 3: .refused
            default: .echoed(Int64(index))
            }
            #expect(outcomes[index] == expected, "statement \(index)")
        }
        // The inserts that succeeded committed, whatever failed beside them.
        let count = try await db.query("SELECT count(*) FROM k").first!.column(0, as: Int64.self)
        #expect(count == 1 + 39)
        await db.shutdown()
    }

    /// Writes waiting at the same time commit in one transaction, and each still gets the
    /// outcome it would have had alone: a failing write (a violation, a refused value)
    /// makes the group roll back and run again one by one, so the others commit once.
    @Test func writesWaitingTogetherCommitTogetherButFailAlone() async throws {
        let db = try await client(maxConnections: 1)
        try await db.query("CREATE TABLE w (id BIGINT PRIMARY KEY, tx BIGINT NOT NULL)")
        enum Outcome: Equatable { case written, duplicate, refused }
        func writeAll(_ ids: [Int64]) async throws -> [Int64: Outcome] {
            try await withThrowingTaskGroup(of: (Int64, Outcome).self) { group in
                for id in ids {
                    group.addTask {
                        do {
                            // A negative id stands for a value the statement's cast refuses.
                            let value: String = id < 0 ? "x" : String(id)
                            try await db.write("INSERT INTO w (id, tx) VALUES (\(value)::bigint, txid_current())")
                            return (id, .written)
                        } catch let error as PostgresError {
                            if case .server(sqlState: "23505", _) = error { return (id, .duplicate) }
                            return (id, .refused)
                        }
                    }
                }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
        }
        // No failures: they share transactions.
        let clean = try await writeAll(Array(1...100))
        #expect(clean.values.allSatisfy { $0 == .written })
        let transactions = try await db.query("SELECT count(DISTINCT tx) FROM w").first!.column(0, as: Int64.self)
        #expect(transactions < 100, "writes waiting together commit together")
        // Every third one collides with a row from above, every seventh is refused.
        let ids: [Int64] = (101...300).map { (id: Int64) -> Int64 in
            if id % 7 == 0 { return -id }
            return id % 3 == 0 ? id / 3 : id
        }
        let outcomes = try await writeAll(ids)
        for id in ids {
            let expected: Outcome = id < 0 ? .refused : id <= 100 ? .duplicate : .written
            #expect(outcomes[id] == expected, "write \(id)")
        }
        let rows = try await db.query("SELECT count(*) FROM w").first!.column(0, as: Int64.self)
        #expect(rows == Int64(100 + ids.filter { $0 > 100 }.count))
        await db.shutdown()
    }

    /// A group that has to wait for a lock held elsewhere gives up at once and its
    /// writes run one by one: a write that needs no such lock commits while the other
    /// transaction still holds it, and neither side fails (a group waiting for its whole
    /// length could deadlock with that transaction).
    @Test func aWriteGroupThatMeetsALockYieldsAndRunsAlone() async throws {
        let url = try await TestServers.makeDatabase()
        let db = PostgresClient(PostgresConfiguration(conninfo: url, maxConnections: 1), logger: Logger(label: "test"))
        try await db.query("CREATE TABLE k (id BIGINT PRIMARY KEY, v BIGINT NOT NULL)")
        try await db.query("INSERT INTO k VALUES (1, 0), (2, 0)")
        let holder = try PostgresConnection(conninfo: url)
        let observer = try PostgresConnection(conninfo: url)
        try holder.executeScript("BEGIN; UPDATE k SET v = v + 1 WHERE id = 2")
        // The only worker is busy, so both writes queue and are taken together.
        async let busy: PostgresResult = db.query("SELECT pg_sleep(0.3)")
        try await Task.sleep(for: .milliseconds(100))
        async let free: PostgresResult = db.write("UPDATE k SET v = v + 1 WHERE id = \(Int64(1))")
        async let locked: PostgresResult = db.write("UPDATE k SET v = v + 1 WHERE id = \(Int64(2))")
        var freeCommitted = false
        for _ in 0..<100 where !freeCommitted {
            try await Task.sleep(for: .milliseconds(50))
            freeCommitted = try observer.query("SELECT v FROM k WHERE id = 1").first!.column(0, as: Int64.self) == 1
        }
        #expect(freeCommitted, "the free write committed while the other row stayed locked")
        try holder.executeScript("COMMIT")
        _ = try await (busy, free, locked)
        let values = try await db.query("SELECT v FROM k ORDER BY id").decode(Int64.self)
        #expect(values == [1, 2])
        await db.shutdown()
    }

    /// Rows of one statement over arrays that wait together run as one statement, and each
    /// write gets back its own row; any text survives the arrays. When the merged statement
    /// fails, each row runs again alone and gets the outcome it would have had alone.
    @Test func rowsOfAWriteOverArraysWaitingTogetherRunAsOneStatement() async throws {
        let db = try await client(maxConnections: 1)
        try await db.query("CREATE TABLE a (id BIGINT PRIMARY KEY, label TEXT NOT NULL)")
        try await db.query("INSERT INTO a VALUES (7, 'taken')")
        let statement = """
            WITH input AS (SELECT * FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS i(id, label, position)),
            inserted AS (INSERT INTO a SELECT id, label FROM input RETURNING id)
            SELECT i.id, i.label, array_length($1::bigint[], 1) FROM input i ORDER BY i.position
            """
        let labels = ["plain", "with, comma", "{braces}", #"quote " and \ backslash"#, "NULL", "", "日本語 ✓"]
        func writeAll(_ ids: [Int64]) async -> [Int64: Result<(String, Int64), any Error>] {
            // The only worker is busy, so the writes queue and are taken together.
            async let busy = db.query("SELECT pg_sleep(0.3)")
            try? await Task.sleep(for: .milliseconds(100))
            let outcomes = await withTaskGroup(of: (Int64, Result<(String, Int64), any Error>).self) { group in
                for id in ids {
                    group.addTask {
                        do {
                            let row = try await db.write(row: [id, labels[Int(id) % labels.count]], of: statement)
                            #expect(try row.column(0, as: Int64.self) == id)
                            return (id, .success((try row.column(1, as: String.self), try row.column(2, as: Int64.self))))
                        } catch {
                            return (id, .failure(error))
                        }
                    }
                }
                return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            _ = try? await busy
            return outcomes
        }

        let clean = await writeAll(Array(1...6))
        for id in Int64(1)...6 {
            #expect((try? clean[id]?.get().0) == labels[Int(id) % labels.count], "row \(id) got its own label back")
        }
        #expect(clean.values.contains { ((try? $0.get().1) ?? 0) > 1 }, "rows waiting together ran as one statement")
        let stored = try await db.query("SELECT id, label FROM a WHERE id <> 7 ORDER BY id").decode(Int64.self, String.self)
        #expect(stored.map(\.0) == Array(1...6) && stored.allSatisfy { $0.1 == labels[Int($0.0) % labels.count] })

        let mixed = await writeAll([8, 7, 9])
        #expect((try? mixed[8]?.get().1) == 1 && (try? mixed[9]?.get().1) == 1, "after the merged statement failed, each ran alone")
        #expect(throws: PostgresError.self) { try mixed[7]?.get() }
        let count = try await db.query("SELECT count(*) FROM a").first!.column(0, as: Int64.self)
        #expect(count == 9)
        await db.shutdown()
    }
}
