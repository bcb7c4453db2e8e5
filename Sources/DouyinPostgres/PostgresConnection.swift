import CLibPQ
import DouyinPool
import Metrics

#if canImport(Glibc)
import Glibc
#endif

/// One libpq connection. Blocking: used only on a `BlockingPool` thread.
///
/// Statements are prepared once per connection and then executed by name, so
/// the server parses and plans each distinct statement once.
public final class PostgresConnection: BatchingConnection {
    private let handle: OpaquePointer
    private var prepared: [String: String] = [:]
    private var closed = false
    private let statements: Counter?
    /// When the last statement finished; a long-idle connection is probed before reuse.
    public private(set) var lastUsed = ContinuousClock.now

    /// - Parameter statements: counts the statements `query` runs (not their preparation,
    ///   transaction control or liveness probes): the work a request asks of the database.
    public convenience init(conninfo: String, statements: Counter? = nil) throws {
        try self.init(PostgresConnectionParameters(conninfo: conninfo), statements: statements)
    }

    public init(_ parameters: PostgresConnectionParameters, statements: Counter? = nil) throws {
        self.statements = statements
        guard let handle = parameters.connect() else { throw PostgresError.connection("out of memory") }
        self.handle = handle
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.message(handle)
            close()
            throw PostgresError.connection(message)
        }
    }

    deinit { close() }

    public var isHealthy: Bool { !closed && PQstatus(handle) == CONNECTION_OK }

    public func close() {
        guard !closed else { return }
        closed = true
        PQfinish(handle)
    }

    /// Runs one statement with bound parameters.
    @discardableResult
    public func query(_ query: PostgresQuery) throws -> PostgresResult {
        try Self.checkParameters(query)
        let name = try statementName(for: query)
        statements?.increment()
        return try withCStrings(query.parameters) { values in
            let result = PQexecPrepared(handle, name, Int32(values.count), values, nil, nil, 0)
            return try consume(result)
        }
    }

    /// Runs statements that arrived at the same time in one round trip (libpq's pipeline
    /// mode), each its own implicit transaction as if sent alone: one failing does not
    /// fail the others. A connection idle for more than a second is probed first; if it
    /// died meanwhile, nothing ran and every item fails with `IdleConnectionDied`.
    public func runBatch(_ queries: [PostgresQuery], fresh: Bool) -> [Result<PostgresResult, any Error>] {
        if !fresh, lastUsed.duration(to: .now) > .seconds(1) {
            do {
                try executeScript("")
            } catch let error as PostgresError where error.isConnectionFailure {
                return queries.map { _ in .failure(IdleConnectionDied()) }
            } catch {
                return queries.map { _ in .failure(error) }
            }
        }
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
            let accepted = withCStrings(queries[index].parameters) { values in
                PQsendQueryPrepared(handle, name, Int32(values.count), values, nil, nil, 0) == 1 && PQpipelineSync(handle) == 1
            }
            guard accepted else { break }
            statements?.increment()
            queued += 1
        }
        for (index, _) in sent.prefix(queued) {
            // Per statement: its result, a NULL that ends its results, its sync point.
            let result = PQgetResult(handle)
            results[index] = Result { try consume(result) }
            if result != nil {
                while let extra = PQgetResult(handle) { PQclear(extra) }
            }
            let sync = PQgetResult(handle)
            let synced = sync.map { PQresultStatus($0) == PGRES_PIPELINE_SYNC } ?? false
            PQclear(sync)
            guard synced, PQstatus(handle) == CONNECTION_OK else {
                // Out of step with the server: the rest fail and the connection is not reused.
                close()
                break
            }
        }
        lastUsed = .now
        return results.map { $0 ?? .failure(PostgresError.connection(closed ? "the connection broke during a pipeline" : Self.message(handle))) }
    }

    /// Runs `body` in a transaction on this connection: committed if it returns, rolled
    /// back if it throws.
    public func inTransaction<T>(_ body: () throws -> T) throws -> T {
        try executeScript("BEGIN")
        do {
            let result = try body()
            try executeScript("COMMIT")
            return result
        } catch {
            if isHealthy { try? executeScript("ROLLBACK") }
            throw error
        }
    }

    /// Runs a script of several statements without parameters: migrations and
    /// transaction control only, never with values from a request.
    public func executeScript(_ sql: String) throws {
        _ = try consume(PQexec(handle, sql))
    }

    private static func checkParameters(_ query: PostgresQuery) throws {
        for (index, value) in query.parameters.enumerated() where value?.utf8.contains(0) == true {
            throw PostgresError.nulInParameter(index: index)
        }
    }

    private func statementName(for query: PostgresQuery) throws -> String {
        if let name = prepared[query.sql] { return name }
        let name = "s\(prepared.count)"
        _ = try consume(PQprepare(handle, name, query.sql, Int32(query.parameters.count), nil))
        prepared[query.sql] = name
        return name
    }

    private func consume(_ result: OpaquePointer?) throws -> PostgresResult {
        defer { lastUsed = .now }
        guard let result else { throw PostgresError.connection(Self.message(handle)) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return PostgresResult(rows: [], affectedRows: Self.affectedRows(result))
        case PGRES_TUPLES_OK:
            return PostgresResult(rows: Self.rows(result), affectedRows: Self.affectedRows(result))
        default:
            if PQstatus(handle) != CONNECTION_OK { throw PostgresError.connection(Self.message(handle)) }
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? "XX000"
            let message = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
                ?? Self.message(handle)
            throw PostgresError.server(sqlState: state, message: message)
        }
    }

    private static func rows(_ result: OpaquePointer) -> [PostgresRow] {
        let rowCount = PQntuples(result)
        let columnCount = PQnfields(result)
        let columns = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
        var rows: [PostgresRow] = []
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(Int(columnCount))
            for column in 0..<columnCount {
                if PQgetisnull(result, row, column) == 1 {
                    values.append(nil)
                } else {
                    let length = Int(PQgetlength(result, row, column))
                    let bytes = UnsafeRawPointer(PQgetvalue(result, row, column)!).assumingMemoryBound(to: UInt8.self)
                    values.append(String(decoding: UnsafeBufferPointer(start: bytes, count: length), as: UTF8.self))
                }
            }
            rows.append(PostgresRow(values: values, columns: columns))
        }
        return rows
    }

    private static func affectedRows(_ result: OpaquePointer) -> Int {
        Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    private static func message(_ handle: OpaquePointer) -> String {
        String(cString: PQerrorMessage(handle)).trimmingTrailingNewlines
    }
}

/// A connection idle in the pool had died (a server restart) before a batch could run on it: nothing ran.
struct IdleConnectionDied: Error {}

extension String {
    fileprivate var trimmingTrailingNewlines: String {
        var text = self
        while text.last == "\n" { text.removeLast() }
        return text
    }
}

/// Calls `body` with the values as C strings that live for the call's duration.
private func withCStrings<R>(
    _ values: [String?],
    _ body: ([UnsafePointer<CChar>?]) throws -> R
) rethrows -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = values.map { value in value.map { strdup($0)! } }
    defer { copies.forEach { free($0) } }
    return try body(copies.map { UnsafePointer($0) })
}
