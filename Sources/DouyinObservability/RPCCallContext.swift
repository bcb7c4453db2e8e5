import Foundation

/// What travels with a call down the call chain: its deadline, request id and trace.
///
/// Set by the HTTP layer for each request and by the RPC server for each call
/// it serves, so a callee's own calls inherit the caller's remaining time.
public struct RPCCallContext: Sendable {
    public let deadline: ContinuousClock.Instant?
    public let requestID: String
    public let traceparent: String
    /// The trace id inside `traceparent` (empty when there is none), for log lines.
    public let traceID: String

    public init(deadline: ContinuousClock.Instant? = nil, requestID: String = "", traceparent: String = "") {
        self.init(deadline: deadline, requestID: requestID, traceparent: traceparent, traceID: TraceParent(traceparent)?.traceID ?? "")
    }

    /// A context for a trace already parsed.
    public init(deadline: ContinuousClock.Instant?, requestID: String, trace: TraceParent?) {
        self.init(deadline: deadline, requestID: requestID, traceparent: trace?.description ?? "", traceID: trace?.traceID ?? "")
    }

    private init(deadline: ContinuousClock.Instant?, requestID: String, traceparent: String, traceID: String) {
        self.deadline = deadline
        self.requestID = requestID
        self.traceparent = traceparent
        self.traceID = traceID
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
