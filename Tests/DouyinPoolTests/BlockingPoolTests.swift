import DouyinPool
import Foundation
import NIOConcurrencyHelpers
import Testing

final class FakeConnection: BlockingConnection, @unchecked Sendable {
    let serial: Int
    var isHealthy = true
    var closed = false
    init(serial: Int) { self.serial = serial }
    func close() { closed = true }
}

@Suite struct BlockingPoolTests {
    func makePool(max: Int, timeout: Duration = .seconds(2)) -> (BlockingPool<FakeConnection>, NIOLockedValueBox<Int>) {
        let opened = NIOLockedValueBox(0)
        let pool = BlockingPool<FakeConnection>(name: "test", maxConnections: max, acquireTimeout: timeout) {
            FakeConnection(serial: opened.withLockedValue { count in
                count += 1
                return count
            })
        }
        return (pool, opened)
    }

    @Test func reusesConnections() async throws {
        let (pool, opened) = makePool(max: 2)
        for _ in 0..<10 { _ = try await pool.withConnection { connection, _ in connection.serial } }
        #expect(opened.withLockedValue { $0 } == 1)
        await pool.shutdown()
    }

    @Test func neverOpensMoreThanTheLimit() async throws {
        let (pool, opened) = makePool(max: 3)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 {
                group.addTask { _ = try await pool.withConnection { _, _ in Thread.sleep(forTimeInterval: 0.002) } }
            }
            try await group.waitForAll()
        }
        #expect(opened.withLockedValue { $0 } <= 3)
        #expect(pool.usage.leased == 0)
        await pool.shutdown()
    }

    @Test func exhaustedPoolTimesOut() async throws {
        let (pool, _) = makePool(max: 1, timeout: .milliseconds(100))
        let holding = Task { try await pool.withConnection { _, _ in Thread.sleep(forTimeInterval: 0.5) } }
        try await Task.sleep(for: .milliseconds(50))
        await #expect(throws: PoolError.acquireTimeout(pool: "test")) {
            try await pool.withConnection { _, _ in () }
        }
        try await holding.value
        // The pool still works once the holder is done.
        try await pool.withConnection { _, _ in () }
        await pool.shutdown()
    }

    /// Waiting units share one expiry sweep: after failing the first, it comes back for
    /// each later one at its own deadline, not at the first's, and not only when a worker
    /// frees up (then the later ones would be served, not fail). No upper bound on when
    /// they fail: the sweep runs on a shared event loop, which a loaded machine (CI, with
    /// every suite in parallel) has been seen to run a second late.
    @Test func eachWaitingUnitTimesOutAtItsOwnDeadline() async throws {
        let (pool, _) = makePool(max: 1, timeout: .milliseconds(200))
        let holding = Task { try await pool.withConnection { _, _ in Thread.sleep(forTimeInterval: 4) } }
        try await Task.sleep(for: .milliseconds(50))
        let clock = ContinuousClock()
        let waiters = (0..<3).map { index in
            Task { () -> (PoolError?, Duration) in
                // Queued about 150 ms apart, so each is due while the others wait.
                try? await Task.sleep(for: .milliseconds(150 * index))
                let queued = clock.now
                do {
                    try await pool.withConnection { _, _ in () }
                    return (nil, queued.duration(to: clock.now))
                } catch {
                    return (error as? PoolError, queued.duration(to: clock.now))
                }
            }
        }
        for (index, waiter) in waiters.enumerated() {
            let (error, waited) = await waiter.value
            #expect(error == .acquireTimeout(pool: "test"))
            // Failed once its own deadline had passed, not before, and before the holder let go.
            #expect(waited >= .milliseconds(200), "waiter \(index) failed after \(waited)")
        }
        try await holding.value
        try await pool.withConnection { _, _ in () }
        await pool.shutdown()
    }

    @Test func unhealthyConnectionIsReplaced() async throws {
        let (pool, opened) = makePool(max: 1)
        let first = try await pool.withConnection { connection, fresh in
            #expect(fresh)
            connection.isHealthy = false
            return connection.serial
        }
        // Serial numbers, not object identities: the closed first connection's
        // memory may be reused for the second.
        let second = try await pool.withConnection { connection, fresh in
            #expect(fresh)
            return connection.serial
        }
        #expect(first != second)
        #expect(opened.withLockedValue { $0 } == 2)
        await pool.shutdown()
    }

    @Test func failedConnectFreesTheSlot() async throws {
        let attempts = NIOLockedValueBox(0)
        struct Refused: Error {}
        let pool = BlockingPool<FakeConnection>(name: "test", maxConnections: 1, acquireTimeout: .milliseconds(200)) {
            let attempt = attempts.withLockedValue { count in
                count += 1
                return count
            }
            if attempt == 1 { throw Refused() }
            return FakeConnection(serial: attempt)
        }
        await #expect(throws: Refused.self) { try await pool.withConnection { _, _ in () } }
        let serial = try await pool.withConnection { connection, _ in connection.serial }
        #expect(serial == 2)
        await pool.shutdown()
    }

    @Test func shutDownPoolRefusesWork() async throws {
        let (pool, _) = makePool(max: 1)
        await pool.shutdown()
        await #expect(throws: PoolError.shutDown(pool: "test")) { try await pool.withConnection { _, _ in () } }
    }

    /// Blocks a pool thread until the test opens it.
    final class Gate: Sendable {
        private let open = ConditionLock(value: false)
        func wait() {
            open.lock(whenValue: true)
            open.unlock()
        }
        func release() {
            open.lock()
            open.unlock(withValue: true)
        }
    }

    /// Polls `condition` until it holds (the pool's state moves on its own threads).
    func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func waitingUnitsRunInOrderAndACancelledOneNever() async throws {
        let (pool, _) = makePool(max: 1, timeout: .seconds(60))
        let gate = Gate()
        let order = NIOLockedValueBox<[Int]>([])
        let holding = Task { try await pool.withConnection { _, _ in gate.wait() } }
        try await waitUntil { pool.usage.leased == 1 }
        var waiting: [Task<Void, any Error>] = []
        for unit in 1...3 {
            waiting.append(Task { try await pool.withConnection { _, _ in order.withLockedValue { $0.append(unit) } } })
            try await waitUntil { pool.usage.waiting == unit }
        }
        waiting[1].cancel()
        await #expect(throws: CancellationError.self) { try await waiting[1].value }
        gate.release()
        try await holding.value
        try await waiting[0].value
        try await waiting[2].value
        #expect(order.withLockedValue { $0 } == [1, 3])
        await pool.shutdown()
    }

    @Test func shutdownFailsWaitingUnitsAndLetsTheRunningOneFinish() async throws {
        let (pool, opened) = makePool(max: 1, timeout: .seconds(60))
        let gate = Gate()
        let running = Task { try await pool.withConnection { _, _ in gate.wait(); return 7 } }
        try await waitUntil { pool.usage.leased == 1 }
        let waiting = Task { try await pool.withConnection { _, _ in 8 } }
        try await waitUntil { pool.usage.waiting == 1 }
        let shutdown = Task { await pool.shutdown() }
        await #expect(throws: PoolError.shutDown(pool: "test")) { try await waiting.value }
        gate.release()
        await shutdown.value
        #expect(try await running.value == 7)
        #expect(opened.withLockedValue { $0 } == 1)
    }
}
