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
        } catch {
            failure = FailureReport.envelope(for: error, logger: context.logger) { Self.translate($0, request: request) }
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

/// What a failed request answers, wherever it failed.
public enum FailureReport {
    /// `error` as the contract's error. Failures of the system itself are worth a line
    /// in the log; a caller's mistakes are not.
    /// - Parameter translating: the meaning of Hummingbird's own errors (a router's 404, a body too large).
    public static func envelope(
        for error: any Error, logger: Logger, translating: (any HTTPResponseError) -> DouyinError = { _ in DouyinError(.internalError) }
    ) -> DouyinError {
        switch error {
        case let error as DouyinError:
            if error.code == .internalError || error.code == .badUpstreamAnswer {
                logger.error("request failed", metadata: ["error": "\(error)"])
            }
            return error
        case let error as any HTTPResponseError:
            return translating(error)
        case is HTTPParserError:
            // A body that breaks HTTP/1 framing part way (a chunk size that is not hex): the
            // client's fault, found while the handler read the body.
            return DouyinError(.invalidParameter, "malformed HTTP request")
        default:
            logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return DouyinError(.internalError)
        }
    }
}
