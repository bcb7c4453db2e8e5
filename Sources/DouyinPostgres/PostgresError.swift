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

    /// A connection the server or libpq refused for a reason waiting will not change:
    /// the certificate check, missing certificate files, TLS the server requires or
    /// lacks, credentials, or no `pg_hba.conf` entry. A process should stop at start
    /// on these, naming its settings, instead of retrying.
    public var isSetupRefusal: Bool {
        guard case .connection(let message) = self else { return false }
        return Self.setupRefusals.contains { message.localizedCaseInsensitiveContains($0) }
    }

    // libpq's own messages (client side, untranslated in a C locale) and the server's
    // authentication errors as libpq reports them.
    private static let setupRefusals = [
        "certificate verify failed", "does not match host name", "root certificate file",
        "certificate file", "private key file", "SSL was required", "alert unknown ca", "alert bad certificate",
        "alert certificate required",
        "SSL connection is required", "no pg_hba.conf entry", "pg_hba.conf rejects connection", "password authentication failed",
        "authentication failed", "no password supplied", "role \"",
    ]
}
