/// A typed failure with a code from `ErrorCode` and a message meant for clients.
///
/// Messages never contain secrets or internal detail (SQL, addresses); those go
/// to the log beside the request id instead.
public struct DouyinError: Error, Sendable, Codable, Equatable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    /// Seconds a client should wait before retrying (rate limits), if any.
    public var retryAfter: Int?

    public init(_ code: ErrorCode, _ message: String? = nil, retryAfter: Int? = nil) {
        self.code = code
        self.message = message ?? code.defaultMessage
        self.retryAfter = retryAfter
    }

    public var description: String { "\(code)(\(code.rawValue)): \(message)" }

    public static func invalid(_ name: String, _ why: String) -> DouyinError {
        DouyinError(.invalidParameter, "\(name): \(why)")
    }

    public static func missing(_ name: String) -> DouyinError {
        DouyinError(.missingParameter, "\(name) is required")
    }
}

/// The envelope every API response carries (API.md section 2).
public struct StatusEnvelope: Codable, Sendable, Equatable {
    public var statusCode: Int32
    public var statusMessage: String

    public init(statusCode: Int32 = 0, statusMessage: String = "") {
        self.statusCode = statusCode
        self.statusMessage = statusMessage
    }

    public init(_ error: DouyinError) {
        self.init(statusCode: error.code.rawValue, statusMessage: error.message)
    }

    enum CodingKeys: String, CodingKey {
        case statusCode = "status_code"
        case statusMessage = "status_msg"
    }
}

extension StatusEnvelope: JSONObjectWritable {
    public func writeFields(to writer: inout JSONWriter) {
        writer.field("status_code", statusCode)
        writer.field("status_msg", statusMessage)
    }
}
