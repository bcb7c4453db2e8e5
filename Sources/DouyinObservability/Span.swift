import Foundation

/// One finished unit of work in a trace: an HTTP request served or an RPC answered.
///
/// Every process records a server span per request it serves; the span's parent
/// is the caller's span from the incoming `traceparent`, so the spans of one
/// request form a tree across the gateway, the services and their RPCs.
public struct Span: Sendable {
    /// OTLP's numbering; every span recorded here is the server side of a call.
    public enum Kind: Int, Sendable {
        case server = 2
    }

    public enum Value: Sendable {
        case string(String)
        case int(Int)
    }

    public var traceID: String
    public var spanID: String
    public var parentSpanID: String?
    public var name: String
    public var kind: Kind
    /// Wall-clock start and end, nanoseconds since 1970.
    public var startNanoseconds: UInt64
    public var endNanoseconds: UInt64
    public var attributes: [(key: String, value: Value)]
    /// Set when the work failed; the text is the error's message.
    public var error: String?

    public init(
        traceID: String, spanID: String, parentSpanID: String?, name: String, kind: Kind,
        startNanoseconds: UInt64, endNanoseconds: UInt64, attributes: [(key: String, value: Value)], error: String? = nil
    ) {
        self.traceID = traceID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.name = name
        self.kind = kind
        self.startNanoseconds = startNanoseconds
        self.endNanoseconds = endNanoseconds
        self.attributes = attributes
        self.error = error
    }
}

/// Times one request or call on the monotonic clock (for metrics, logs and spans).
package struct RequestTimer {
    private let start = ContinuousClock.now

    package init() {}

    package var elapsed: Duration { start.duration(to: .now) }

    /// The span, placed on the wall clock only now, so untraced requests never read it.
    package func finish(
        _ trace: TraceParent, parent: String?, name: String, attributes: [(key: String, value: Span.Value)], error: String? = nil
    ) -> Span {
        let duration = UInt64(max(0, elapsed.nanoseconds))
        let end = UInt64(max(0, Date().timeIntervalSince1970 * 1_000_000_000))
        return Span(
            traceID: trace.traceID, spanID: trace.spanID, parentSpanID: parent, name: name, kind: .server,
            startNanoseconds: end - min(duration, end), endNanoseconds: end, attributes: attributes, error: error
        )
    }
}
