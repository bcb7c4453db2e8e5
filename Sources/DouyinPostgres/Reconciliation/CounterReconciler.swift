import Logging
import Metrics

/// Compares stored counters with the rows they count and repairs the drift: every write
/// keeps them together in one statement, so drift means a bug, a hand edit or a restore,
/// and it should heal instead of showing forever.
///
/// One pass walks each check's owners in id order, a batch per transaction: the batch's
/// owners are locked first (`FOR UPDATE`), then counted in a later statement, so a write
/// racing the pass is either committed and counted or waits and adds itself after the
/// repair. Only one instance of a service reconciles at a time (a session advisory lock
/// held for the pass); the others skip. Found drift is logged per repair and exported as
/// `douyin_counter_repairs_total` (counters set right) and `douyin_counter_drift`
/// (counters found wrong in the last pass; 0 in normal operation).
public final class CounterReconciler: Sendable {
    let db: PostgresClient
    let checks: [CounterCheck]
    let batchSize: Int
    /// The advisory lock's key: one per service, so two services' passes do not exclude each other.
    let lockKey: Int64
    let logger: Logger

    public init(db: PostgresClient, checks: [CounterCheck], batchSize: Int = 1000, lockKey: Int64, logger: Logger) {
        self.db = db
        self.checks = checks
        self.batchSize = batchSize
        self.lockKey = lockKey
        self.logger = logger
    }

    /// One pass over every check; nil when another instance holds the lock.
    @discardableResult
    public func pass() async throws -> [CounterRepair]? {
        let (checks, batchSize, lockKey) = (self.checks, self.batchSize, self.lockKey)
        let found = try await db.withConnection { connection -> [CounterRepair]? in
            guard try connection.query("SELECT pg_try_advisory_lock(\(lockKey))").first?.column(0, as: Bool.self) == true else {
                return nil
            }
            defer { _ = try? connection.query("SELECT pg_advisory_unlock(\(lockKey))") }
            var repairs: [CounterRepair] = []
            for check in checks {
                var after = Int64.min
                while true {
                    let (ids, fixed) = try Self.batch(check, after: after, limit: batchSize, on: connection)
                    repairs += fixed
                    guard let last = ids.last, ids.count == batchSize else { break }
                    after = last
                }
            }
            return repairs
        }
        guard let found else { return nil }
        report(found)
        for check in checks {
            let ids = found.filter { $0.table == check.table }.map(\.id)
            if !ids.isEmpty { await check.repaired(Array(Set(ids)).sorted()) }
        }
        return found
    }

    /// Locks one batch of owners, repairs their counters, commits.
    private static func batch(
        _ check: CounterCheck, after: Int64, limit: Int, on connection: PostgresConnection
    ) throws -> (ids: [Int64], repairs: [CounterRepair]) {
        try connection.inTransaction {
            let ids = try connection.query(check.lockBatch(after, limit)).decode(Int64.self).map { $0 }
            var repairs: [CounterRepair] = []
            if !ids.isEmpty {
                for row in try connection.query(check.repair(ids)).rows {
                    let id = try row.column(0, as: Int64.self)
                    for (index, counter) in check.counters.enumerated() {
                        let stored = try row.column(1 + 2 * index, as: Int64.self)
                        let counted = try row.column(2 + 2 * index, as: Int64.self)
                        if stored != counted {
                            repairs.append(CounterRepair(table: check.table, id: id, counter: counter, stored: stored, counted: counted))
                        }
                    }
                }
            }
            return (ids, repairs)
        }
    }

    private func report(_ repairs: [CounterRepair]) {
        for check in checks {
            for counter in check.counters {
                let fixed = repairs.filter { $0.table == check.table && $0.counter == counter }
                let dimensions = [("table", check.table), ("counter", counter)]
                Gauge(label: "douyin_counter_drift", dimensions: dimensions).record(fixed.count)
                if !fixed.isEmpty { Counter(label: "douyin_counter_repairs_total", dimensions: dimensions).increment(by: fixed.count) }
            }
        }
        for repair in repairs {
            logger.warning("counter repaired", metadata: [
                "table": "\(repair.table)", "id": "\(repair.id)", "counter": "\(repair.counter)",
                "stored": "\(repair.stored)", "counted": "\(repair.counted)",
            ])
        }
    }
}
