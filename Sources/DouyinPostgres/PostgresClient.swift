import DouyinPool
import Logging
import Metrics

/// Where and how to connect.
public struct PostgresConfiguration: Sendable {
    /// A libpq connection string, e.g. `host=127.0.0.1 port=5432 dbname=douyin user=douyin`.
    public var conninfo: String
    public var maxConnections: Int
    public var acquireTimeout: Duration

    public init(conninfo: String, maxConnections: Int = 8, acquireTimeout: Duration = .seconds(5)) {
        self.conninfo = conninfo
        self.maxConnections = maxConnections
        self.acquireTimeout = acquireTimeout
    }
}

/// The PostgreSQL client services use: a bounded pool of libpq connections.
///
/// All SQL runs inside `withConnection` or `transaction` closures, which
/// execute on the pool's threads, never on an event loop. A unit of work whose
/// first statement meets a connection that died while idle (a server restart)
/// is run once more on a new connection; nothing was executed in that case.
public final class PostgresClient: Sendable {
    private let pool: BlockingPool<PostgresConnection>
    private let logger: Logger

    public init(_ configuration: PostgresConfiguration, logger: Logger) {
        // Statements sent, so an operator (and a test) can see what a request costs the database.
        let statements = Counter(label: "douyin_postgres_statements_total")
        let conninfo = Self.withConnectTimeout(configuration.conninfo)
        self.pool = BlockingPool(
            name: "postgres",
            maxConnections: configuration.maxConnections,
            acquireTimeout: configuration.acquireTimeout
        ) { [statements] in
            try PostgresConnection(conninfo: conninfo, statements: statements)
        }
        self.logger = logger
    }

    public var usage: (open: Int, leased: Int, waiting: Int) { pool.usage }

    /// Runs `body` with one connection (statements are each their own transaction).
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        do {
            return try await pool.withConnection { connection, fresh in
                try Self.runOnce(connection, fresh: fresh, body)
            }
        } catch StaleConnection.died {
            logger.info("postgres connection died while idle; retrying on a new one")
            return try await pool.withConnection { connection, _ in try body(connection) }
        }
    }

    /// Runs `body` in a transaction: committed if it returns, rolled back if it throws.
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await withConnection { connection in
            try connection.executeScript("BEGIN")
            do {
                let result = try body(connection)
                try connection.executeScript("COMMIT")
                return result
            } catch {
                if connection.isHealthy { try? connection.executeScript("ROLLBACK") }
                throw error
            }
        }
    }

    /// Runs one statement, in its own implicit transaction. Statements waiting at the
    /// same time share a round trip (a pipeline), each still on its own.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresResult {
        do {
            return try await pool.batched(query)
        } catch is IdleConnectionDied {
            logger.info("postgres connection died while idle; retrying on a new one")
            return try await pool.withConnection { connection, _ in try connection.query(query) }
        }
    }

    public func shutdown() async {
        await pool.shutdown()
    }

    private enum StaleConnection: Error { case died }

    /// Adds a connect timeout unless the caller chose one; conninfo is a URI or key=value pairs.
    static func withConnectTimeout(_ conninfo: String) -> String {
        guard !conninfo.contains("connect_timeout") else { return conninfo }
        if conninfo.contains("://") { return conninfo + (conninfo.contains("?") ? "&" : "?") + "connect_timeout=5" }
        return conninfo + " connect_timeout=5"
    }

    private static func runOnce<T>(_ connection: PostgresConnection, fresh: Bool, _ body: (PostgresConnection) throws -> T) throws -> T {
        guard !fresh, connection.lastUsed.duration(to: .now) > .seconds(1) else { return try body(connection) }
        // A reused connection may have been cut by a server restart; probe with
        // the cheapest round trip so the real work runs only on a live one.
        do {
            try connection.executeScript("")
        } catch let error as PostgresError where error.isConnectionFailure {
            throw StaleConnection.died
        }
        return try body(connection)
    }
}
