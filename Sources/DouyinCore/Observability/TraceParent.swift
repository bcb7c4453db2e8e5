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
    public init?(_ header: String?) {
        guard let header else { return nil }
        let parts = header.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "00", Self.isHex(parts[1], count: 32), Self.isHex(parts[2], count: 16),
            Self.isHex(parts[3], count: 2), parts[1] != Substring(String(repeating: "0", count: 32)),
            parts[2] != Substring(String(repeating: "0", count: 16))
        else { return nil }
        traceID = String(parts[1])
        spanID = String(parts[2])
        flags = String(parts[3])
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

    private static func isHex(_ text: Substring, count: Int) -> Bool {
        text.utf8.count == count && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
