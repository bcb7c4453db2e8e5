import DouyinNIO
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Bumps that arrive on one event loop in the same turn leave as one: one pipeline of
/// INCRs over the union of their keys, each key once.
///
/// The writes of a commit group finish together, so their callers bump together: the
/// ten likes of a group move the feed's counter once and each user's once, in one
/// round trip, instead of ten pipelines of three. A caller returns once a batch sent
/// after it joined has come back, so its keys moved after its write committed and
/// before it answers, as `ContentVersions` promises; a key moved once for several
/// writes still differs from what any cache built before them holds. Off the event
/// loops, increments go straight through. Reads are not held back.
public final class CoalescingVersionCounters: VersionCounters {
    private struct Batch {
        var keys: Set<String> = []
        var waiters: [CheckedContinuation<Void, any Error>] = []
    }

    private let base: any VersionCounters
    /// The batch each event loop gathers until the work queued on it has run.
    private let gathering = NIOLockedValueBox<[ObjectIdentifier: Batch]>([:])

    public init(_ base: any VersionCounters) {
        self.base = base
    }

    public func read(_ keys: [String]) async throws -> [Int64] {
        try await base.read(keys)
    }

    public func increment(_ keys: [String]) async throws {
        guard let loop = MultiThreadedEventLoopGroup.currentEventLoop else { return try await base.increment(keys) }
        let id = ObjectIdentifier(loop)
        try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Void, any Error>) in
            let opens = gathering.withLockedValue { gathering in
                let opens = gathering[id] == nil
                gathering[id, default: Batch()].keys.formUnion(keys)
                gathering[id]!.waiters.append(waiter)
                return opens
            }
            // Behind what is queued on the loop already: the other writes of the group join first.
            if opens { loop.execute { self.send(id, on: loop) } }
        }
    }

    private func send(_ id: ObjectIdentifier, on loop: any EventLoop) {
        guard let batch = gathering.withLockedValue({ $0.removeValue(forKey: id) }) else { return }
        Task.immediate(executorPreference: EventLoopTaskExecutor(loop)) { [base] in
            do {
                try await base.increment(batch.keys.sorted())
                for waiter in batch.waiters { waiter.resume() }
            } catch {
                for waiter in batch.waiters { waiter.resume(throwing: error) }
            }
        }
    }
}
