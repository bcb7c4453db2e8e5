/// The public API as a table: every endpoint, its method, owner and token rule.
///
/// The gateway routes by this table and answers 404/405 from it; services check
/// their own routes against it in tests, so the two can never drift apart.
public struct Endpoint: Sendable, Hashable {
    public enum Method: String, Sendable {
        case get = "GET"
        case post = "POST"
    }

    public enum TokenRule: Sendable {
        /// Anonymous allowed; a non-empty invalid token still fails (the feed).
        case optional
        case required
        /// Register and login: a token is not looked at.
        case none
    }

    /// What the request body may carry.
    public enum Body: Sendable {
        /// Parameters in a small form body (API.md 1.1), read whole.
        case form
        /// A large multipart upload: streamed by its handler, never buffered whole.
        case upload
        /// A WebSocket upgrade: no body at all.
        case socket
    }

    public let path: String
    public let method: Method
    public let service: ServiceName
    public let token: TokenRule
    public let body: Body

    public init(_ method: Method, _ path: String, _ service: ServiceName, token: TokenRule, body: Body = .form) {
        self.method = method
        self.path = path
        self.service = service
        self.token = token
        self.body = body
    }

    public static func == (lhs: Endpoint, rhs: Endpoint) -> Bool { lhs.path == rhs.path }
    public func hash(into hasher: inout Hasher) { hasher.combine(path) }
}

extension Endpoint {
    /// API.md section 6 and 8.
    public static let all: [Endpoint] = [
        Endpoint(.get, "/douyin/feed/", .video, token: .optional),
        Endpoint(.post, "/douyin/user/register/", .auth, token: .none),
        Endpoint(.post, "/douyin/user/login/", .auth, token: .none),
        Endpoint(.get, "/douyin/user/", .user, token: .required),
        Endpoint(.post, "/douyin/publish/action/", .video, token: .required, body: .upload),
        Endpoint(.get, "/douyin/publish/list/", .video, token: .required),
        Endpoint(.post, "/douyin/favorite/action/", .video, token: .required),
        Endpoint(.get, "/douyin/favorite/list/", .video, token: .required),
        Endpoint(.post, "/douyin/comment/action/", .video, token: .required),
        Endpoint(.get, "/douyin/comment/list/", .video, token: .required),
        Endpoint(.post, "/douyin/relation/action/", .user, token: .required),
        Endpoint(.get, "/douyin/relation/follow/list/", .user, token: .required),
        Endpoint(.get, "/douyin/relation/follower/list/", .user, token: .required),
        Endpoint(.get, "/douyin/relation/friend/list/", .user, token: .required),
        Endpoint(.post, "/douyin/message/action/", .chat, token: .required),
        Endpoint(.get, "/douyin/message/chat/", .chat, token: .required),
        Endpoint(.get, "/douyin/message/ws/", .chat, token: .required, body: .socket),
        // Extensions beyond API.md: deleting one's video, search by name and title.
        Endpoint(.post, "/douyin/publish/delete/", .video, token: .required),
        Endpoint(.get, "/douyin/search/user/", .user, token: .optional),
        Endpoint(.get, "/douyin/search/video/", .video, token: .optional),
    ]

    private static let byPath: [String: Endpoint] = Dictionary(uniqueKeysWithValues: all.map { ($0.path, $0) })

    /// The endpoint at exactly this path, whatever the method.
    public static func at(path: some StringProtocol) -> Endpoint? {
        byPath[String(path)]
    }

    /// Media files served by the video service; no token (API.md section 7).
    public static let mediaPrefix = "/media/"

    /// The API described for client developers (OpenAPI), served by the gateway.
    public static let descriptionPath = "/douyin/openapi.yaml"

    /// Liveness and the API description, served by the gateway itself on its public port
    /// (API.md 8.3); GET only. Readiness and metrics are only on each process's admin
    /// listener: on the public port they are unknown paths (404), like any other.
    public static let operationalPaths: Set<String> = ["/healthz", descriptionPath]
}

/// Headers the gateway sets for services and strips from every incoming request.
public enum InternalHeader {
    /// The user id the gateway verified from the token.
    public static let userID = "x-douyin-user-id"
    /// Proves a request came through the gateway (shared secret).
    public static let secret = "x-douyin-internal-secret"
    /// The client's address as the gateway saw it (for per-address limits).
    public static let clientAddress = "x-douyin-client-address"
    public static let requestID = "x-request-id"
    /// Set by a service on an answer the gateway may repeat (`AnswerValidity`); never sent on to a client.
    public static let validWhile = "x-douyin-valid-while"
    public static let prefix = "x-douyin-"
}

/// Where a public request goes, decided from `Endpoint.all` alone.
public enum Route: Equatable, Sendable {
    case endpoint(Endpoint)
    /// A media file of the video service (no token).
    case media
    /// Liveness or the API description, answered by the process that was asked.
    case operational
    case notFound
    /// A known path asked with another method (API.md 1: 405, not 404).
    case methodNotAllowed
}

extension Endpoint {
    /// The methods a known path answers, for the `Allow` header of a 405 (RFC 9110); nil for unknown paths.
    /// Derived from `route`, so the two cannot disagree.
    public static func allowedMethods(path: some StringProtocol) -> String? {
        let allowed = ["GET", "HEAD", "POST"].filter { ![.notFound, .methodNotAllowed].contains(route(path: path, method: $0)) }
        return allowed.isEmpty ? nil : allowed.joined(separator: ", ")
    }

    /// The one routing rule: the gateway routes by it, and services answer 404/405 by it.
    public static func route(path: some StringProtocol, method: String) -> Route {
        if let endpoint = at(path: path) {
            return endpoint.method.rawValue == method ? .endpoint(endpoint) : .methodNotAllowed
        }
        if path.hasPrefix(mediaPrefix) {
            return method == "GET" || method == "HEAD" ? .media : .methodNotAllowed
        }
        if operationalPaths.contains(String(path)) {
            return method == "GET" ? .operational : .methodNotAllowed
        }
        return .notFound
    }
}
