/// One table's stored counters and the rows they count, as SQL a reconciler runs a batch
/// of owners at a time (`CounterReconciler`).
public struct CounterCheck: Sendable {
    /// The table holding the counters, e.g. `video.videos`: the metric's and the log's name.
    public let table: String
    /// The counter columns, in the order `repair` returns them.
    public let counters: [String]
    /// Locks the next owners after id `after` (at most `limit`, ascending) and returns their
    /// ids: a write to a locked owner waits, so nothing it adds is counted twice or missed.
    public let lockBatch: @Sendable (_ after: Int64, _ limit: Int) -> PostgresQuery
    /// For the locked `ids`: sets every counter that differs from its count, and returns, per
    /// row changed, the id and then the stored and the counted value of each counter.
    public let repair: @Sendable (_ ids: [Int64]) -> PostgresQuery
    /// Told the owners whose counters changed, after the commit: what caches them is stale.
    public let repaired: @Sendable (_ ids: [Int64]) async -> Void

    public init(
        table: String, counters: [String],
        lockBatch: @escaping @Sendable (_ after: Int64, _ limit: Int) -> PostgresQuery,
        repair: @escaping @Sendable (_ ids: [Int64]) -> PostgresQuery,
        repaired: @escaping @Sendable (_ ids: [Int64]) async -> Void
    ) {
        self.table = table
        self.counters = counters
        self.lockBatch = lockBatch
        self.repair = repair
        self.repaired = repaired
    }

    /// One counter column and the SQL expression that counts it for the owner row `o`.
    public struct Counted: Sendable {
        public let column: String
        public let count: String

        public init(_ column: String, _ count: String) {
            self.column = column
            self.count = count
        }
    }

    /// A check whose owners are `table`'s rows keyed by the integer column `key`: locked in
    /// key order, each counter set to its `count` where they differ, in one statement.
    /// - Parameters: `table`, `key` and the counters are SQL written in code, never input.
    public init(
        table: String, key: String, counting counters: [Counted], repaired: @escaping @Sendable (_ ids: [Int64]) async -> Void
    ) {
        precondition(
            (table + key + counters.map(\.column).joined()).allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." },
            "identifiers only"
        )
        let lock = "SELECT \(key) FROM \(table) WHERE \(key) > $1 ORDER BY \(key) LIMIT $2 FOR UPDATE"
        let indices = counters.indices
        let pairs = indices.map { "c.stored_\($0), c.counted_\($0)" }.joined(separator: ", ")
        let repair = """
            WITH counted AS (
                SELECT o.\(key) AS id, \(indices.map { "o.\(counters[$0].column) AS stored_\($0), (\(counters[$0].count)) AS counted_\($0)" }.joined(separator: ", "))
                FROM \(table) o WHERE o.\(key) = ANY($1)
            ), fixed AS (
                UPDATE \(table) o SET \(indices.map { "\(counters[$0].column) = c.counted_\($0)" }.joined(separator: ", "))
                FROM counted c
                WHERE o.\(key) = c.id AND (\(indices.map { "c.stored_\($0) <> c.counted_\($0)" }.joined(separator: " OR ")))
                RETURNING o.\(key) AS id
            )
            SELECT c.id, \(pairs) FROM counted c JOIN fixed USING (id)
            """
        self.init(
            table: table, counters: counters.map(\.column),
            lockBatch: { after, limit in PostgresQuery(unsafeSQL: lock, parameters: [after.postgresText, limit.postgresText]) },
            repair: { ids in PostgresQuery(unsafeSQL: repair, parameters: [ids.postgresText]) },
            repaired: repaired
        )
    }
}

/// A counter found wrong and set right.
public struct CounterRepair: Sendable, Equatable, CustomStringConvertible {
    public let table: String
    public let id: Int64
    public let counter: String
    public let stored: Int64
    public let counted: Int64

    public init(table: String, id: Int64, counter: String, stored: Int64, counted: Int64) {
        self.table = table
        self.id = id
        self.counter = counter
        self.stored = stored
        self.counted = counted
    }

    public var description: String { "\(table).\(counter) of \(id): \(stored) -> \(counted)" }
}
