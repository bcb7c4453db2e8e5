public enum PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server could not be reached, or dropped the connection.
    case connection(String)
    /// The server refused a statement. `sqlState` is the SQLSTATE code (for example `23505`).
    case server(sqlState: String, message: String)
    /// A parameter held U+0000, which PostgreSQL text cannot carry.
    case nulInParameter(index: Int)
    case decoding(type: String, text: String)

    public var description: String {
        switch self {
        case .connection(let message): "PostgreSQL connection: \(message)"
        case .server(let state, let message): "PostgreSQL \(state): \(message)"
        case .nulInParameter(let index): "PostgreSQL parameter $\(index + 1) contains NUL"
        case .decoding(let type, let text): "cannot decode \(type) from '\(text)'"
        }
    }

    /// A unique constraint refused the row.
    public var isUniqueViolation: Bool {
        if case .server("23505", _) = self { return true }
        return false
    }

    public var isConnectionFailure: Bool {
        if case .connection = self { return true }
        return false
    }
}
