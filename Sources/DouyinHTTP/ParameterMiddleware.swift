import DouyinIdentity
import DouyinModels
import DouyinRPC
import Hummingbird
import NIOCore

/// Reads the parameters of a request (query string, then a form body) into the
/// context, and resolves who the requester is.
///
/// Bodies are read only for form content types and only up to `maxFormBytes`;
/// endpoints that stream their body (uploads, WebSocket) read it themselves.
public struct ParameterMiddleware: RouterMiddleware {
    public typealias Context = DouyinRequestContext

    let identity: IdentityResolver
    let maxFormBytes: Int

    public init(identity: IdentityResolver, maxFormBytes: Int = 1 << 20) {
        self.identity = identity
        self.maxFormBytes = maxFormBytes
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        var request = request
        // Media files and the like take no parameters from a body; uploads stream theirs.
        let readsForm = Endpoint.at(path: request.uri.path)?.body == .form
        var sources = [try FormURLEncoding.decode(request.uri.query.map { Array($0.utf8) } ?? [])]
        if readsForm, let form = try await Self.formBody(&request, limit: maxFormBytes) {
            sources.append(form)
        }
        context.params = RequestParameters(sources: sources)
        context.identity = await identity.resolve(headers: request.headers, tokenParameter: context.params["token"])
        return try await next(request, context)
    }

    /// The body's parameters when it is a form; the body stays readable for the handler.
    static func formBody(_ request: inout Request, limit: Int) async throws -> [(String, String)]? {
        guard let contentType = request.headers.value(of: .contentType) else { return nil }
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingSpaces.lowercased() }
        switch mediaType {
        case "application/x-www-form-urlencoded":
            let body = try await request.collectCompleteBody(upTo: limit)
            return try FormURLEncoding.decode(Array(body.readableBytesView))
        case "multipart/form-data":
            guard let boundary = MultipartForm.boundary(fromContentType: contentType) else {
                throw DouyinError(.invalidParameter, "multipart body without a boundary")
            }
            return try MultipartForm.textParameters(try await request.collectCompleteBody(upTo: limit), boundary: boundary)
        default:
            return nil
        }
    }

}
