import DouyinHTTP
import DouyinIdentity
import DouyinModels
import DouyinRPC
import Hummingbird

/// Who the gateway vouches for when it forwards a request.
enum GatewayIdentity: Equatable {
    case anonymous
    case user(UserID)
    /// The token may be in a form body, which the gateway does not read: the
    /// service verifies it with the same keys.
    case deferred
}

/// Verifies tokens at the edge with locally cached public keys (API.md section 3).
struct GatewayAuthenticator: Sendable {
    let keys: AuthKeys

    func authenticate(_ request: Request, endpoint: Endpoint) async throws -> GatewayIdentity {
        try await authenticate(
            query: request.uri.query, authorization: request.headers.value(of: .authorization),
            contentType: request.headers.value(of: .contentType), endpoint: endpoint
        )
    }

    /// The same rule on the parts of a request head, for checks made before Hummingbird has a `Request`.
    func authenticate(query: String?, authorization: String?, contentType: String?, endpoint: Endpoint) async throws -> GatewayIdentity {
        guard endpoint.token != .none else { return .anonymous }
        if let query, let token = try FormURLEncoding.parameter("token", in: query) {
            return try await verify(token)
        }
        if Self.isForm(contentType) {
            return .deferred
        }
        if let token = IdentityResolver.bearerToken(authorization) {
            return try await verify(token)
        }
        if endpoint.token == .required { throw DouyinError(.tokenMissing) }
        return .anonymous
    }

    /// Whether an upgrade request for the chat socket carries a valid token.
    func admitsSocket(query: String?, authorization: String?) async -> Bool {
        let identity = try? await authenticate(query: query, authorization: authorization, contentType: nil, endpoint: SocketProxy.endpoint)
        if case .user = identity { return true }
        return false
    }

    private func verify(_ token: String) async throws -> GatewayIdentity {
        switch await keys.verify(token) {
        case .success(let id): return .user(id)
        case .failure(let error): throw error
        }
    }

    static func isForm(_ contentType: String?) -> Bool {
        guard let type = contentType?.lowercased() else { return false }
        return type.hasPrefix("application/x-www-form-urlencoded") || type.hasPrefix("multipart/form-data")
    }
}
