import DouyinClients
import DouyinNIO
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

struct CoalescingVersionCountersTests {
    /// Counters that record each increment they are asked for.
    final class Recording: VersionCounters {
        let increments = NIOLockedValueBox<[[String]]>([])
        let fails = NIOLockedValueBox(false)
        struct Unreachable: Error {}

        func read(_ keys: [String]) async throws -> [Int64] { keys.map { _ in 0 } }

        func increment(_ keys: [String]) async throws {
            if fails.withLockedValue({ $0 }) { throw Unreachable() }
            increments.withLockedValue { $0.append(keys) }
        }
    }

    /// `count` increments started together by tasks on one event loop, as the writes of a
    /// commit group resume together; each gives "feed" and its own key.
    func incrementTogether(_ counters: CoalescingVersionCounters, count: Int) async -> [Bool] {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        return await Task(executorPreference: EventLoopTaskExecutor(loop)) {
            await withTaskGroup(of: Bool.self) { group in
                for index in 0..<count {
                    group.addTask { (try? await counters.increment(["feed", "user\(index)"])) != nil }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
        }.value
    }

    @Test func incrementsOfOneTurnLeaveAsOneWithEachKeyOnce() async {
        let base = Recording()
        let outcomes = await incrementTogether(CoalescingVersionCounters(base), count: 10)
        #expect(outcomes == Array(repeating: true, count: 10))
        #expect(base.increments.withLockedValue { $0 } == [["feed"] + (0..<10).map { "user\($0)" }])
    }

    @Test func aFailedBatchFailsEveryCallerInIt() async {
        let base = Recording()
        base.fails.withLockedValue { $0 = true }
        #expect(await incrementTogether(CoalescingVersionCounters(base), count: 3) == [false, false, false])
    }

    @Test func offTheEventLoopsEachIncrementGoesStraightThrough() async throws {
        let base = Recording()
        let counters = CoalescingVersionCounters(base)
        try await counters.increment(["a"])
        try await counters.increment(["a", "b"])
        #expect(base.increments.withLockedValue { $0 } == [["a"], ["a", "b"]])
    }
}
