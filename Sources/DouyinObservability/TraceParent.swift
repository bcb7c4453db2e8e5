/// A W3C Trace Context `traceparent` (version 00): `00-<trace id>-<parent id>-<flags>`.
///
/// Each process keeps the trace id it receives (or starts a trace when there is
/// none) and names itself as the parent of whatever it calls, so one request's
/// trace id appears in the log lines of every service it touches.
public struct TraceParent: Sendable, Equatable, CustomStringConvertible {
    public var traceID: String
    public var spanID: String
    public var flags: String

    /// Parses a header value; nil when it is not a valid version-00 traceparent.
    ///
    /// Every request and every RPC call parses one, so this reads the bytes in
    /// place: a fixed layout needs no splitting.
    public init?(_ header: String?) {
        guard var header, header.utf8.count == 55 else { return nil }
        let fields = header.withUTF8 { bytes -> (trace: String, span: String, flags: String)? in
            guard bytes[0] == UInt8(ascii: "0"), bytes[1] == UInt8(ascii: "0"),
                bytes[2] == UInt8(ascii: "-"), bytes[35] == UInt8(ascii: "-"), bytes[52] == UInt8(ascii: "-"),
                Self.isHex(bytes, 3..<35, allowsAllZero: false), Self.isHex(bytes, 36..<52, allowsAllZero: false),
                Self.isHex(bytes, 53..<55, allowsAllZero: true)
            else { return nil }
            func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
            return (text(3..<35), text(36..<52), text(53..<55))
        }
        guard let fields else { return nil }
        traceID = fields.trace
        spanID = fields.span
        flags = fields.flags
    }

    init(traceID: String, spanID: String, flags: String) {
        self.traceID = traceID
        self.spanID = spanID
        self.flags = flags
    }

    /// A new trace; `sampled` sets the flag that tells every hop whether to record spans.
    public static func start(sampled: Bool = true) -> TraceParent {
        TraceParent(traceID: IdentifierRandom.hex(words: 2), spanID: IdentifierRandom.hex(words: 1), flags: sampled ? "01" : "00")
    }

    /// Whether the trace's spans are recorded (the low bit of the flags).
    public var isSampled: Bool {
        (UInt8(flags, radix: 16) ?? 0) & 1 == 1
    }

    /// The same trace with this hop as the parent.
    public func child() -> TraceParent {
        TraceParent(traceID: traceID, spanID: IdentifierRandom.hex(words: 1), flags: flags)
    }

    public var description: String { "00-\(traceID)-\(spanID)-\(flags)" }

    /// Lower-case hex digits only; W3C forbids an all-zero trace or parent id.
    private static func isHex(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, allowsAllZero: Bool) -> Bool {
        var allZero = true
        for byte in bytes[range] {
            guard (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte) else { return false }
            if byte != 0x30 { allZero = false }
        }
        return allowsAllZero || !allZero
    }
}
