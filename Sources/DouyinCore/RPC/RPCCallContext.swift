import Foundation

/// What travels with a call down the call chain: its deadline, request id and trace.
///
/// Set by the HTTP layer for each request and by the RPC server for each call
/// it serves, so a callee's own calls inherit the caller's remaining time.
public struct RPCCallContext: Sendable {
    public var deadline: ContinuousClock.Instant?
    public var requestID: String
    public var traceparent: String

    public init(deadline: ContinuousClock.Instant? = nil, requestID: String = "", traceparent: String = "") {
        self.deadline = deadline
        self.requestID = requestID
        self.traceparent = traceparent
    }

    /// The trace id inside `traceparent` (empty when there is none).
    public var traceID: String {
        TraceParent(traceparent)?.traceID ?? ""
    }

    @TaskLocal public static var current: RPCCallContext?

    /// Milliseconds left until the deadline (at least 1), or nil when there is none.
    public func remainingMilliseconds(now: ContinuousClock.Instant = .now) -> UInt32? {
        guard let deadline else { return nil }
        let left = now.duration(to: deadline)
        let ms = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000
        return UInt32(clamping: max(ms, 1))
    }
}

/// JSON coding of RPC payloads.
enum RPCCoding {
    static func encode(_ value: some Encodable) throws -> Data {
        try JSONEncoder().encode(value)
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try JSONDecoder().decode(type, from: data)
    }
}
