import NIOConcurrencyHelpers

/// Runs a body once for all concurrent callers with the same key: a cache miss
/// under load costs one load, not one per waiting caller.
///
/// The body runs in its own task, so a caller that is cancelled stops waiting
/// without cancelling the load the others wait for.
public final class SingleFlight<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let running = NIOLockedValueBox<[Key: Task<Value, any Error>]>([:])

    public init() {}

    public func run(_ key: Key, _ body: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let box = running
        let task = box.withLockedValue { running in
            if let task = running[key] { return task }
            let task = Task {
                defer { box.withLockedValue { $0[key] = nil } }
                return try await body()
            }
            running[key] = task
            return task
        }
        return try await task.value
    }

    /// Whether a run for `key` is under way (for tests and diagnostics).
    public func isRunning(_ key: Key) -> Bool {
        running.withLockedValue { $0[key] != nil }
    }
}
