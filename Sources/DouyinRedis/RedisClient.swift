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

/// The Redis client services use: a bounded pool of hiredis connections run off the event loops.
///
/// Commands time out after `timeout`. A connection that fails is replaced on
/// next use; a command whose reused connection turns out to have died while
/// idle (a server restart) is sent once more on a new connection, since the
/// dead connection cannot have delivered it.
public final class RedisClient: Sendable {
    private let pool: BlockingPool<RedisConnection>
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
    public func pipeline(_ commands: [[any RedisArgument]]) async throws -> [RedisValue] {
        let commands = SendableCommands(commands)
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

/// Arguments are immutable values (strings, integers, bytes); they cross threads safely.
private struct SendableCommands: @unchecked Sendable {
    let value: [[any RedisArgument]]
    init(_ value: [[any RedisArgument]]) { self.value = value }
}
