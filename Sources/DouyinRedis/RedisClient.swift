import DouyinPool
import Logging

public struct RedisConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var maxConnections: Int
    /// Connect and per-command timeout.
    public var timeout: Duration

    public init(host: String = "127.0.0.1", port: Int = 6379, maxConnections: Int = 8, timeout: Duration = .seconds(2)) {
        self.host = host
        self.port = port
        self.maxConnections = maxConnections
        self.timeout = timeout
    }
}

/// The Redis client services use: a bounded pool of hiredis connections run off the event loops,
/// with concurrent callers' commands merged into shared round trips.
///
/// Commands time out after `timeout`. A connection that fails is replaced on
/// next use; a command whose reused connection turns out to have died while
/// idle (a server restart) is sent once more on a new connection, since the
/// dead connection cannot have delivered it.
public final class RedisClient: Sendable {
    private let pool: BlockingPool<RedisConnection>
    private let batcher: CommandBatcher
    public let configuration: RedisConfiguration

    public init(_ configuration: RedisConfiguration) {
        self.configuration = configuration
        self.pool = BlockingPool(
            name: "redis",
            maxConnections: configuration.maxConnections,
            acquireTimeout: configuration.timeout
        ) {
            try RedisConnection(host: configuration.host, port: configuration.port, timeout: configuration.timeout)
        }
        // One flight per connection: the pool never makes a flight wait.
        self.batcher = CommandBatcher(maxFlights: configuration.maxConnections) { [pool] commands in
            try await Self.fly(SendableCommands(commands), on: pool)
        }
    }

    public var usage: (open: Int, leased: Int, waiting: Int) { pool.usage }

    /// Sends one command. An error reply throws `RedisError.reply`.
    @discardableResult
    public func send(_ arguments: any RedisArgument...) async throws -> RedisValue {
        try await send(arguments)
    }

    @discardableResult
    public func send(_ arguments: [any RedisArgument]) async throws -> RedisValue {
        let reply = try await pipeline([arguments])[0]
        if case .error(let message) = reply { throw RedisError.reply(message) }
        return reply
    }

    /// Sends several commands in one round trip; error replies are returned in place, not thrown.
    /// Concurrent callers' commands share round trips (`CommandBatcher`).
    public func pipeline(_ commands: [[any RedisArgument]]) async throws -> [RedisValue] {
        try await batcher.send(commands)
    }

    /// One round trip on a pooled connection.
    private static func fly(_ commands: SendableCommands, on pool: BlockingPool<RedisConnection>) async throws -> [RedisValue] {
        do {
            return try await pool.withConnection { connection, fresh in
                do {
                    return try connection.pipeline(commands.value)
                } catch RedisError.connection where !fresh {
                    throw StaleConnection.died
                }
            }
        } catch StaleConnection.died {
            return try await pool.withConnection { connection, _ in try connection.pipeline(commands.value) }
        }
    }

    public func shutdown() async {
        await pool.shutdown()
    }

    private enum StaleConnection: Error { case died }
}
