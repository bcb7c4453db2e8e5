import NIOConcurrencyHelpers

/// A wall clock in Unix ms that moves only when a test moves it.
public final class DrivenWallClock: Sendable {
    private let milliseconds: NIOLockedValueBox<Int64>

    public init(start: Int64 = 1_700_000_000_000) {
        milliseconds = NIOLockedValueBox(start)
    }

    public var now: @Sendable () -> Int64 { { [milliseconds] in milliseconds.withLockedValue { $0 } } }

    public func advance(by step: Duration) {
        let (seconds, attoseconds) = step.components
        milliseconds.withLockedValue { $0 += seconds * 1000 + attoseconds / 1_000_000_000_000_000 }
    }
}

/// Sleeps that end when a test releases them, not when time passes: a loop that waits
/// between steps is driven one step at a time. Cancellation ends a sleep at once.
public final class HeldSleeps: Sendable {
    private struct State {
        var waiting: CheckedContinuation<Void, any Error>?
        var cancelled = false
        var asked: [Duration] = []
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    public var sleep: @Sendable (Duration) async throws -> Void { { [self] duration in try await self.hold(duration) } }

    private func hold(_ duration: Duration) async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let cancelled = state.withLockedValue { state in
                    state.asked.append(duration)
                    if !state.cancelled { state.waiting = continuation }
                    return state.cancelled
                }
                if cancelled { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let waiting = state.withLockedValue { state in
                state.cancelled = true
                defer { state.waiting = nil }
                return state.waiting
            }
            waiting?.resume(throwing: CancellationError())
        }
    }

    /// Waits (yielding, not sleeping) until the loop is asleep; what it asked for.
    public func nextSleep() async -> Duration {
        while true {
            let asked = state.withLockedValue { $0.waiting == nil ? nil : $0.asked.last }
            if let asked { return asked }
            await Task.yield()
        }
    }

    /// Ends the current sleep, as if its time had passed.
    public func release() {
        let waiting = state.withLockedValue { state in
            defer { state.waiting = nil }
            return state.waiting
        }
        waiting?.resume()
    }
}
