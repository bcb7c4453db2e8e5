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
public final class PostgresConnection: BlockingConnection {
    let handle: OpaquePointer
    private var prepared: [String: String] = [:]
    private(set) var closed = false
    let statements: Counter?
    let writeGroups: WriteGroups?
    /// When the last statement finished; a long-idle connection is probed before reuse.
    public internal(set) var lastUsed = ContinuousClock.now

    /// - Parameter statements: counts the statements `query` runs (not their preparation,
    ///   transaction control or liveness probes): the work a request asks of the database.
    public convenience init(conninfo: String, statements: Counter? = nil) throws {
        try self.init(PostgresConnectionParameters(conninfo: conninfo), statements: statements)
    }

    public init(_ parameters: PostgresConnectionParameters, statements: Counter? = nil, writeGroups: WriteGroups? = nil) throws {
        self.statements = statements
        self.writeGroups = writeGroups
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

    static func checkParameters(_ query: PostgresQuery) throws {
        for (index, value) in query.parameters.enumerated() where value?.utf8.contains(0) == true {
            throw PostgresError.nulInParameter(index: index)
        }
    }

    func statementName(for query: PostgresQuery) throws -> String {
        if let name = prepared[query.sql] { return name }
        let name = "s\(prepared.count)"
        _ = try consume(PQprepare(handle, name, query.sql, Int32(query.parameters.count), nil))
        prepared[query.sql] = name
        return name
    }

    func consume(_ result: OpaquePointer?) throws -> PostgresResult {
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

    static func message(_ handle: OpaquePointer) -> String {
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
func withCStrings<R>(
    _ values: [String?],
    _ body: ([UnsafePointer<CChar>?]) throws -> R
) rethrows -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = values.map { value in value.map { strdup($0)! } }
    defer { copies.forEach { free($0) } }
    return try body(copies.map { UnsafePointer($0) })
}
