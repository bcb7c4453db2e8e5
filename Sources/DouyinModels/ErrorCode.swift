/// The one error-code table of the whole system.
///
/// Every failure that reaches a client or crosses an RPC boundary carries one of
/// these codes. The HTTP layer maps a code to `{status_code, status_msg}` and an
/// HTTP status in exactly one place (`DouyinError.httpStatus`); RPC frames carry
/// the raw value so a callee's failure surfaces unchanged at the edge.
public enum ErrorCode: Int32, Sendable, Codable, CaseIterable {
    case ok = 0

    // 1xxxx: the request itself is wrong.
    case invalidParameter = 10001
    case missingParameter = 10002
    case routeNotFound = 10004
    case methodNotAllowed = 10005
    case payloadTooLarge = 10013
    case rateLimited = 10029

    // 2xxxx: identity and permission.
    case tokenMissing = 20001
    case tokenInvalid = 20002
    case tokenExpired = 20003
    case usernameTaken = 20010
    case badCredentials = 20011
    case loginThrottled = 20012
    case forbidden = 20013

    // 3xxxx: the named object does not exist.
    case userNotFound = 30001
    case videoNotFound = 30002
    case commentNotFound = 30003

    // 4xxxx: uploads and media.
    case notAVideo = 40001

    // 5xxxx: the system, not the caller.
    case internalError = 50000
    /// Another service answered something that cannot be right (a user asked for is missing).
    case badUpstreamAnswer = 50002
    case serviceUnavailable = 50003
    case deadlineExceeded = 50004

    /// The HTTP status a response with this code carries (API.md 2.1).
    public var httpStatus: Int {
        switch self {
        case .ok: 200
        case .invalidParameter, .missingParameter: 400
        case .tokenMissing, .tokenInvalid, .tokenExpired, .badCredentials: 401
        case .forbidden: 403
        case .routeNotFound, .userNotFound, .videoNotFound, .commentNotFound: 404
        case .methodNotAllowed: 405
        case .usernameTaken: 409
        case .payloadTooLarge: 413
        case .notAVideo: 422
        case .rateLimited, .loginThrottled: 429
        // An internal failure is reported as "unavailable": API.md never allows a
        // 500, and a client can retry a 503.
        case .internalError, .badUpstreamAnswer, .serviceUnavailable, .deadlineExceeded: 503
        }
    }

    /// A message for clients when the thrower has nothing more specific to say.
    public var defaultMessage: String {
        switch self {
        case .ok: ""
        case .invalidParameter: "invalid parameter"
        case .missingParameter: "missing parameter"
        case .routeNotFound: "no such endpoint"
        case .methodNotAllowed: "method not allowed on this endpoint"
        case .payloadTooLarge: "request body too large"
        case .rateLimited: "too many requests"
        case .tokenMissing: "token required"
        case .tokenInvalid: "invalid token"
        case .tokenExpired: "token expired"
        case .usernameTaken: "username already taken"
        case .badCredentials: "wrong username or password"
        case .loginThrottled: "too many failed logins, try again later"
        case .forbidden: "not allowed"
        case .userNotFound: "user not found"
        case .videoNotFound: "video not found"
        case .commentNotFound: "comment not found"
        case .notAVideo: "the upload is not a playable video"
        case .internalError: "internal error"
        case .badUpstreamAnswer: "a service answered inconsistently"
        case .serviceUnavailable: "service unavailable"
        case .deadlineExceeded: "upstream timed out"
        }
    }
}
