import Foundation

/// One finished unit of work in a trace: an HTTP request served or an RPC answered.
///
/// Every process records a server span per request it serves; the span's parent
/// is the caller's span from the incoming `traceparent`, so the spans of one
/// request form a tree across the gateway, the services and their RPCs.
public struct Span: Sendable, Equatable {
    public enum Kind: Int, Sendable {
        case server = 2
        case client = 3
    }

    public enum Value: Sendable, Equatable {
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

    public static func == (lhs: Span, rhs: Span) -> Bool {
        lhs.traceID == rhs.traceID && lhs.spanID == rhs.spanID && lhs.parentSpanID == rhs.parentSpanID
            && lhs.name == rhs.name && lhs.kind == rhs.kind && lhs.startNanoseconds == rhs.startNanoseconds
            && lhs.endNanoseconds == rhs.endNanoseconds && lhs.error == rhs.error
            && lhs.attributes.elementsEqual(rhs.attributes) { $0.key == $1.key && $0.value == $1.value }
    }
}

/// Measures one span: wall-clock start for the record, monotonic clock for the duration.
struct SpanTimer {
    private let startNanoseconds = UInt64(max(0, Date().timeIntervalSince1970 * 1_000_000_000))
    private let start = ContinuousClock.now

    func finish(
        _ trace: TraceParent, parent: String?, name: String, kind: Span.Kind = .server,
        attributes: [(key: String, value: Span.Value)], error: String? = nil
    ) -> Span {
        let elapsed = start.duration(to: .now).components
        let nanoseconds = UInt64(elapsed.seconds) * 1_000_000_000 + UInt64(elapsed.attoseconds / 1_000_000_000)
        return Span(
            traceID: trace.traceID, spanID: trace.spanID, parentSpanID: parent, name: name, kind: kind,
            startNanoseconds: startNanoseconds, endNanoseconds: startNanoseconds + nanoseconds,
            attributes: attributes, error: error
        )
    }
}
