import DouyinModels
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Gives each request its id, deadline and trace, for logs and for the RPCs it makes,
/// and writes one access-log line when it is answered.
public struct RequestScopeMiddleware<Context: RequestContext>: RouterMiddleware {
    let timeout: Duration

    public init(timeout: Duration) {
        self.timeout = timeout
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let requestIDHeader = HTTPField.Name(InternalHeader.requestID)!
        let requestID = request.headers[requestIDHeader].flatMap { $0.utf8.count <= 64 ? $0 : nil } ?? Self.newRequestID()
        // Continue the caller's trace, or start one; what this hop calls sees it as parent.
        let trace = (TraceParent(request.headers[HTTPField.Name("traceparent")!]) ?? TraceParent.start()).child()
        var context = context
        context.logger[metadataKey: "request_id"] = "\(requestID)"
        context.logger[metadataKey: "trace_id"] = "\(trace.traceID)"
        let scope = RPCCallContext(deadline: .now + timeout, requestID: requestID, traceparent: trace.description)
        let start = ContinuousClock.now
        var response = try await RPCCallContext.$current.withValue(scope) {
            try await next(request, context)
        }
        response.headers[requestIDHeader] = requestID
        let elapsed = start.duration(to: .now)
        context.logger.info(
            "request",
            metadata: [
                "method": "\(request.method.rawValue)",
                "path": "\(request.uri.path)",
                "status": "\(response.status.code)",
                "duration_ms": "\(Double(elapsed.components.attoseconds / 1_000_000_000_000) / 1000 + Double(elapsed.components.seconds) * 1000)",
            ]
        )
        return response
    }

    static func newRequestID() -> String {
        String(UInt64.random(in: .min ... .max), radix: 16)
    }
}
