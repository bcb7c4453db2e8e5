/// A reply from Redis.
public enum RedisValue: Sendable, Equatable {
    case null
    case status(String)
    case integer(Int64)
    case bulk([UInt8])
    case array([RedisValue])
    /// An error reply (for example `WRONGTYPE ...`); the connection stays usable.
    case error(String)

    public var string: String? {
        switch self {
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        case .integer(let value): String(value)
        default: nil
        }
    }

    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .bulk, .status: string.flatMap { Int64($0) }
        default: nil
        }
    }

    public var array: [RedisValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    public var isNull: Bool { self == .null }
}

public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server could not be reached, timed out, or dropped the connection.
    case connection(String)
    /// The server answered with an error reply.
    case reply(String)
    /// The server refused the credentials (or wanted some): retrying cannot help.
    case authentication(String)
    /// The servers are not what the configuration says: a single server where a cluster
    /// was configured. Retrying cannot help either.
    case topology(String)

    public var description: String {
        switch self {
        case .connection(let message): "Redis connection: \(message)"
        case .reply(let message): "Redis: \(message)"
        case .authentication(let message): "Redis refused the credentials: \(message)"
        case .topology(let message): "Redis: \(message)"
        }
    }
}

/// Anything that can be a command argument; sent binary-safe.
public protocol RedisArgument: Sendable {
    var redisBytes: [UInt8] { get }
}

extension String: RedisArgument {
    public var redisBytes: [UInt8] { Array(utf8) }
}

extension Substring: RedisArgument {
    public var redisBytes: [UInt8] { Array(utf8) }
}

extension Int: RedisArgument {
    public var redisBytes: [UInt8] { Array(String(self).utf8) }
}

extension Int64: RedisArgument {
    public var redisBytes: [UInt8] { Array(String(self).utf8) }
}

extension Array: RedisArgument where Element == UInt8 {
    public var redisBytes: [UInt8] { self }
}
