import DouyinCore
import DouyinModels
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
        guard endpoint.token != .none else { return .anonymous }
        if let query = request.uri.query, let token = try FormURLEncoding.parameter("token", in: query) {
            return try await verify(token)
        }
        if Self.hasFormBody(request) {
            return .deferred
        }
        if let token = IdentityResolver.bearerToken(request.headers.value(of: .authorization)) {
            return try await verify(token)
        }
        if endpoint.token == .required { throw DouyinError(.tokenMissing) }
        return .anonymous
    }

    private func verify(_ token: String) async throws -> GatewayIdentity {
        switch await keys.verify(token) {
        case .success(let id): return .user(id)
        case .failure(let error): throw error
        }
    }

    static func hasFormBody(_ request: Request) -> Bool {
        guard let type = request.headers.value(of: .contentType)?.lowercased() else { return false }
        return type.hasPrefix("application/x-www-form-urlencoded") || type.hasPrefix("multipart/form-data")
    }
}
