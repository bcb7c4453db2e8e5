import DouyinModels
import DouyinRPC
import Hummingbird
import Logging
import NIOHTTP1

/// Turns every failure into the contract's JSON envelope; the one place errors meet HTTP.
///
/// Unknown failures are logged with the request id and answered 503 (never a
/// 500: API.md allows no 5xx for bad input, and a client may retry a 503).
public struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let failure: DouyinError
        do {
            return try await next(request, context)
        } catch let error as DouyinError {
            // Failures of the system itself are worth a line; a caller's mistakes are not.
            if error.code == .internalError || error.code == .badUpstreamAnswer {
                context.logger.error("request failed", metadata: ["error": "\(error)"])
            }
            failure = error
        } catch let error as any HTTPResponseError {
            failure = Self.translate(error, request: request)
        } catch is HTTPParserError {
            // A body that breaks HTTP/1 framing part way (a chunk size that is not hex): the
            // client's fault, found while the handler read the body.
            failure = DouyinError(.invalidParameter, "malformed HTTP request")
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            failure = DouyinError(.internalError)
        }
        var response = Response.error(failure)
        // A 405 names what the path does answer (RFC 9110).
        if failure.code == .methodNotAllowed, let allowed = Endpoint.allowedMethods(path: request.uri.path) {
            response.headers[.allow] = allowed
        }
        return response
    }

    static func translate(_ error: any HTTPResponseError, request: Request) -> DouyinError {
        switch error.status {
        case .notFound:
            // The router has no route for this method and path: say why, by the public route table.
            switch Endpoint.route(path: request.uri.path, method: request.method.rawValue) {
            case .methodNotAllowed: return DouyinError(.methodNotAllowed)
            case .endpoint: return DouyinError(.routeNotFound, "endpoint not available on this service")
            case .media, .operational, .notFound: return DouyinError(.routeNotFound)
            }
        case .methodNotAllowed: return DouyinError(.methodNotAllowed)
        case .contentTooLarge: return DouyinError(.payloadTooLarge)
        case .badRequest: return DouyinError(.invalidParameter, (error as? HTTPError)?.body ?? "bad request")
        default: return DouyinError(.internalError)
        }
    }
}
