import CLibPQ
import DouyinPool
import Metrics
import NIOConcurrencyHelpers

/// A statement waiting to share a round trip with the others waiting beside it.
public struct PostgresBatchItem: Sendable {
    public var query: PostgresQuery
    /// A self-contained write that may commit in one transaction with the other such
    /// writes of its batch (`PostgresClient.write`).
    public var commitsWithOthers: Bool
    /// For a write over arrays (`PostgresClient.write(row:of:)`): its element of each array.
    /// `query` runs it alone, with arrays of one; in a group it merges with the writes of
    /// the same statement (`MergedWrites`).
    public var arrayRow: [String]?

    public init(_ query: PostgresQuery, commitsWithOthers: Bool = false) {
        self.query = query
        self.commitsWithOthers = commitsWithOthers
    }

    /// One row of a write over arrays: `statement` with each of `row` as an array of one.
    public init(row: [String], of statement: String) {
        self.query = PostgresQuery(unsafeSQL: statement, parameters: row.map { MergedWrites.arrayLiteral([$0]) })
        self.commitsWithOthers = true
        self.arrayRow = row
    }
}

/// What the connections of one client share about write groups: one group at a time,
/// and how groups ended (committed together, or rolled back and run again one by one).
///
/// One at a time because groups hold the locks of all their writes until they commit,
/// taken in the order the writes came: two groups at once on hot rows (an author's
/// counters) mostly wait for each other, or worse, each for the other. Statements that
/// are not grouped are not held back.
public final class WriteGroups: Sendable {
    private let turn = NIOLock()
    let committed = Counter(label: "douyin_postgres_write_groups_total", dimensions: [("outcome", "committed")])
    let rerun = Counter(label: "douyin_postgres_write_groups_total", dimensions: [("outcome", "rerun")])

    public init() {}

    func inTurn<T>(_ body: () -> T) -> T {
        turn.withLock(body)
    }
}

extension PostgresConnection: BatchingConnection {
    /// The settings of a write group's transaction.
    ///
    /// `lock_timeout`: how long a statement of a write group waits for a lock before the
    /// group gives up and its writes run again one by one. Each write takes its own locks
    /// in a fixed order, but a group holds the locks of all its writes until its commit,
    /// in the order they came, so two groups (or a group and a transaction) can wait for
    /// each other. Giving up this soon, far below PostgreSQL's deadlock detection (1 s),
    /// means a group is always the side that yields, and the other side never fails.
    ///
    /// `plan_cache_mode`: the plan made once per connection and statement, never one per
    /// execution. For a merged write over arrays (`MergedWrites`), PostgreSQL otherwise
    /// keeps planning anew for each array length it meets, and planning cost as much as
    /// two thirds of running the statement. Group writes are key lookups and small
    /// statements over arrays, which the generic plan serves with the same indexes.
    static let groupSettings = ["SET LOCAL lock_timeout = '20ms'", "SET LOCAL plan_cache_mode = force_generic_plan"]

    /// Runs statements that arrived at the same time in one round trip (libpq's pipeline
    /// mode), each as if sent alone: one failing does not fail the others.
    ///
    /// Writes that may commit together (`commitsWithOthers`) run in one transaction, so
    /// they wait for one WAL flush between them instead of one each, one after another;
    /// rows of writes over arrays run as one statement per SQL (`MergedWrites`).
    /// If any of them fails, or waits too long for a lock, the transaction rolls back and
    /// each runs again in its own, so each gets the outcome it would have had alone.
    /// Reads and other statements run each in its own implicit transaction, after the
    /// group has committed: a read never sees a group's writes before they are durable.
    ///
    /// A connection idle for more than a second is probed first; if it died meanwhile,
    /// nothing ran and every item fails with `IdleConnectionDied`.
    public func runBatch(_ items: [PostgresBatchItem], fresh: Bool) -> [Result<PostgresResult, any Error>] {
        if !fresh, lastUsed.duration(to: .now) > .seconds(1) {
            do {
                try executeScript("")
            } catch let error as PostgresError where error.isConnectionFailure {
                return items.map { _ in .failure(IdleConnectionDied()) }
            } catch {
                return items.map { _ in .failure(error) }
            }
        }
        var results = [Result<PostgresResult, any Error>?](repeating: nil, count: items.count)
        let writes = items.indices.filter { items[$0].commitsWithOthers }
        // Groups are safe only taking turns: a connection without `WriteGroups` runs each write alone.
        if writes.count > 1, let writeGroups {
            let merged = MergedWrites(writes.map { items[$0] })
            if let committed = writeGroups.inTurn({ commitTogether(merged.statements) }) {
                for (index, result) in zip(writes, merged.split(committed)) { results[index] = result }
            }
        }
        let rest = items.indices.filter { results[$0] == nil }
        for (index, result) in zip(rest, runEach(rest.map { items[$0].query })) { results[index] = result }
        lastUsed = .now
        return results.map { $0! }
    }

    /// Each statement in its own implicit transaction, all in one pipeline.
    private func runEach(_ queries: [PostgresQuery]) -> [Result<PostgresResult, any Error>] {
        guard !closed else { return queries.map { _ in .failure(brokenDuringPipeline) } }
        guard queries.count > 1 else { return queries.map { query in Result { try self.query(query) } } }
        // Prepared outside the pipeline (once per connection and statement), so the
        // pipeline holds executions only.
        var results = [Result<PostgresResult, any Error>?](repeating: nil, count: queries.count)
        var sent: [(index: Int, name: String)] = []
        for (index, query) in queries.enumerated() {
            do {
                try Self.checkParameters(query)
                sent.append((index, try statementName(for: query)))
            } catch {
                results[index] = .failure(error)
            }
        }
        guard PQenterPipelineMode(handle) == 1 else {
            return queries.indices.map { index in results[index] ?? Result { try self.query(queries[index]) } }
        }
        // Leaving fails only if results were left unread (the connection broke): then it is not reused.
        defer { if !closed, PQexitPipelineMode(handle) != 1 { close() } }
        var queued = 0
        for (index, name) in sent {
            guard sendPrepared(name, queries[index]), PQpipelineSync(handle) == 1 else { break }
            queued += 1
        }
        for (index, _) in sent.prefix(queued) {
            results[index] = nextResult()
            guard readSync() else { break }
        }
        return results.map { $0 ?? .failure(brokenDuringPipeline) }
    }

    /// BEGIN, the writes, COMMIT, in one pipeline with one sync. Nil when nothing was
    /// committed and the connection is fine: then the caller runs each write alone.
    private func commitTogether(_ queries: [PostgresQuery]) -> [Result<PostgresResult, any Error>]? {
        var names: [String] = []
        for query in queries {
            // A write that cannot even be sent fails on its own, when run alone.
            guard (try? Self.checkParameters(query)) != nil, let name = try? statementName(for: query) else { return nil }
            names.append(name)
        }
        guard PQenterPipelineMode(handle) == 1 else { return nil }
        defer { if !closed, PQexitPipelineMode(handle) != 1 { close() } }
        var accepted = sendText("BEGIN") && Self.groupSettings.allSatisfy(sendText)
        for (query, name) in zip(queries, names) where accepted {
            accepted = sendPrepared(name, query)
        }
        guard accepted, sendText("COMMIT"), PQpipelineSync(handle) == 1 else {
            // Never sent whole, so never committed; the connection is not trusted again.
            close()
            return queries.map { _ in .failure(brokenDuringPipeline) }
        }
        // BEGIN, then each setting.
        let setUp = (0...Self.groupSettings.count).map { _ in nextResult() }
        let written = queries.map { _ in nextResult() }
        let commit = nextResult()
        guard readSync() else {
            // Whether COMMIT took effect is unknown, as for any statement cut off mid-way.
            return queries.map { _ in .failure(brokenDuringPipeline) }
        }
        let failed = (setUp + written + [commit]).contains { if case .failure = $0 { true } else { false } }
        guard failed else {
            writeGroups?.committed.increment()
            return written
        }
        writeGroups?.rerun.increment()
        if PQexitPipelineMode(handle) != 1 || (PQtransactionStatus(handle) != PQTRANS_IDLE && (try? executeScript("ROLLBACK")) == nil) {
            close()
            return queries.map { _ in .failure(brokenDuringPipeline) }
        }
        return nil
    }

    private func sendText(_ sql: String) -> Bool {
        PQsendQueryParams(handle, sql, 0, nil, nil, nil, nil, 0) == 1
    }

    private func sendPrepared(_ name: String, _ query: PostgresQuery) -> Bool {
        let sent = withCStrings(query.parameters) { values in
            PQsendQueryPrepared(handle, name, Int32(values.count), values, nil, nil, 0) == 1
        }
        if sent { statements?.increment() }
        return sent
    }

    /// One pipelined statement's outcome: its result, then the NULL that ends its results.
    private func nextResult() -> Result<PostgresResult, any Error> {
        let result = PQgetResult(handle)
        let outcome = Result { try consume(result) }
        if result != nil {
            while let extra = PQgetResult(handle) { PQclear(extra) }
        }
        return outcome
    }

    /// Reads a sync point; false (and the connection closed) when out of step with the server.
    private func readSync() -> Bool {
        let sync = PQgetResult(handle)
        let synced = sync.map { PQresultStatus($0) == PGRES_PIPELINE_SYNC } ?? false
        PQclear(sync)
        guard synced, PQstatus(handle) == CONNECTION_OK else {
            close()
            return false
        }
        return true
    }

    private var brokenDuringPipeline: PostgresError {
        .connection(closed ? "the connection broke during a pipeline" : Self.message(handle))
    }
}
