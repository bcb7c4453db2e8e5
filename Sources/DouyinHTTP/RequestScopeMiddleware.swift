import DouyinModels
import DouyinObservability
import DouyinRPC
import Foundation
import HTTPTypes
import Hummingbird

/// Gives each request its id, deadline and trace, for logs and for the RPCs it makes,
/// and writes one access-log line (and a span, when tracing is on) when it is answered.
/// It also settles who the client is (`ClientAddressRule`), for the limits and the log.
public struct RequestScopeMiddleware: RouterMiddleware {
    public typealias Context = DouyinRequestContext

    let timeout: Duration
    let accessLog: AccessLog
    let spans: SpanExporter?
    let clientAddress: ClientAddressRule

    public init(timeout: Duration, accessLog: AccessLog, spans: SpanExporter? = nil, clientAddress: ClientAddressRule = .behindGateway) {
        self.timeout = timeout
        self.accessLog = accessLog
        self.spans = spans
        self.clientAddress = clientAddress
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.clientAddress = clientAddress.clientAddress(of: request, peer: context.remoteAddress)
        // Lines logged while serving get the ids from this scope (`Observability.requestIdentity`).
        let scope = RequestScope(headers: request.headers, timeout: timeout, spans: spans)
        var response: Response
        do {
            response = try await RPCCallContext.$current.withValue(scope.callContext) {
                try await next(request, context)
            }
        } catch {
            scope.recordSpan(method: request.method, path: request.uri.path, route: context.endpointPath, status: 500, spans: spans)
            throw error
        }
        response.headers[.requestID] = scope.requestID
        scope.finish(
            method: request.method, path: request.uri.path, route: context.endpointPath, client: context.clientAddress,
            status: Int(response.status.code), accessLog: accessLog, spans: spans
        )
        return response
    }
}
