import DouyinModels
import HTTPTypes

/// Where a public request goes, decided from `Endpoint.all` alone.
enum Route: Equatable {
    case endpoint(Endpoint)
    /// A media file of the video service (no token).
    case media
    case notFound
    case methodNotAllowed
}

enum RouteTable {
    static func resolve(path: some StringProtocol, method: HTTPRequest.Method) -> Route {
        if let endpoint = Endpoint.at(path: path) {
            return endpoint.method.rawValue == method.rawValue ? .endpoint(endpoint) : .methodNotAllowed
        }
        if path.hasPrefix(Endpoint.mediaPrefix) {
            return method == .get || method == .head ? .media : .methodNotAllowed
        }
        return .notFound
    }
}
