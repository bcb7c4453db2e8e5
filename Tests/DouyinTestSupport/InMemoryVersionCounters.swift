import DouyinClients
import NIOConcurrencyHelpers

/// Content version counters in memory, for unit tests of rules that cache under them.
/// `unreadable` makes reads fail, as when Redis is away.
public final class InMemoryVersionCounters: VersionCounters {
    private let values = NIOLockedValueBox<[String: Int64]>([:])
    private let failing = NIOLockedValueBox(false)

    public struct Unreachable: Error {}

    public init() {}

    public var unreadable: Bool {
        get { failing.withLockedValue { $0 } }
        set { failing.withLockedValue { $0 = newValue } }
    }

    public func read(_ keys: [String]) async throws -> [Int64] {
        if unreadable { throw Unreachable() }
        return values.withLockedValue { values in keys.map { values[$0] ?? 0 } }
    }

    public func increment(_ keys: [String]) async throws {
        values.withLockedValue { values in for key in keys { values[key, default: 0] += 1 } }
    }

    /// The value of one counter, e.g. `douyin:user:7:version`.
    public func value(_ key: String) -> Int64 {
        values.withLockedValue { $0[key] ?? 0 }
    }
}
