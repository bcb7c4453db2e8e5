import DouyinPool
import Foundation
import NIOConcurrencyHelpers
import Testing

/// A connection that answers each item with itself and records the size of every batch;
/// a batch holding `blockOn` waits at the gate first.
final class RecordingConnection: BatchingConnection, @unchecked Sendable {
    let batches: NIOLockedValueBox<[Int]>
    let gate: BlockingPoolTests.Gate
    let blockOn: Int

    init(batches: NIOLockedValueBox<[Int]>, gate: BlockingPoolTests.Gate, blockOn: Int) {
        self.batches = batches
        self.gate = gate
        self.blockOn = blockOn
    }

    var isHealthy: Bool { true }
    func close() {}

    func runBatch(_ items: [Int], fresh: Bool) -> [Result<Int, any Error>] {
        batches.withLockedValue { $0.append(items.count) }
        if items.contains(blockOn) { gate.wait() }
        return items.map { .success($0) }
    }
}

/// Under load, a batch of lingering units waits for more to join it (`BatchLinger`);
/// a lone unit, and units that do not linger, never wait.
@Suite(.timeLimit(.minutes(1))) struct BatchLingerTests {
    let batches = NIOLockedValueBox<[Int]>([])
    let gate = BlockingPoolTests.Gate()

    func makePool(window: Duration, whenWaiting: Int = 3) -> BlockingPool<RecordingConnection> {
        BlockingPool(name: "test", maxConnections: 1, acquireTimeout: .seconds(60), linger: BatchLinger(window: window, whenWaiting: whenWaiting)) {
            [batches, gate] in RecordingConnection(batches: batches, gate: gate, blockOn: 0)
        }
    }

    /// Starts unit 0 (a batch of its own, held at the gate), then queues `units` behind it.
    func queueBehindABusyWorker(_ pool: BlockingPool<RecordingConnection>, units: ClosedRange<Int>, lingering: Bool) async throws -> [Task<Int, any Error>] {
        var tasks = [Task { try await pool.batched(0, lingers: lingering) }]
        try await BlockingPoolTests().waitUntil { pool.usage.leased == 1 }
        for unit in units {
            tasks.append(Task { try await pool.batched(unit, lingers: lingering) })
            try await BlockingPoolTests().waitUntil { pool.usage.waiting == unit }
        }
        return tasks
    }

    @Test func aBatchUnderLoadWaitsUntilItIsFull() async throws {
        let pool = makePool(window: .seconds(30))
        let first = try await queueBehindABusyWorker(pool, units: 1...3, lingering: true)
        gate.release()
        #expect(try await first[0].value == 0)
        // The worker found three waiting and holds them back; the ones that come now join.
        try await Task.sleep(for: .milliseconds(50))
        let later = (4...64).map { unit in Task { try await pool.batched(unit, lingers: true) } }
        for (unit, task) in zip(1..., first.dropFirst() + later) { #expect(try await task.value == unit) }
        #expect(batches.withLockedValue { $0 } == [1, 64])
        await pool.shutdown()
    }

    @Test func theWindowEndsABatchThatDoesNotFill() async throws {
        let pool = makePool(window: .milliseconds(100))
        let tasks = try await queueBehindABusyWorker(pool, units: 1...3, lingering: true)
        gate.release()
        for (unit, task) in tasks.enumerated() { #expect(try await task.value == unit) }
        #expect(batches.withLockedValue { $0 } == [1, 3])
        await pool.shutdown()
    }

    @Test func fewerWaitingThanTheThresholdStartAtOnce() async throws {
        let pool = makePool(window: .seconds(30))
        let started = ContinuousClock.now
        #expect(try await pool.batched(1, lingers: true) == 1, "a lone unit")
        let tasks = try await queueBehindABusyWorker(pool, units: 1...2, lingering: true)
        gate.release()
        for (unit, task) in tasks.enumerated() { #expect(try await task.value == unit) }
        #expect(started.duration(to: .now) < .seconds(10), "nothing waited out the 30 s window")
        #expect(batches.withLockedValue { $0 } == [1, 1, 2])
        await pool.shutdown()
    }

    @Test func unitsThatDoNotLingerNeverWait() async throws {
        let pool = makePool(window: .seconds(30))
        let started = ContinuousClock.now
        let tasks = try await queueBehindABusyWorker(pool, units: 1...5, lingering: false)
        gate.release()
        for (unit, task) in tasks.enumerated() { #expect(try await task.value == unit) }
        #expect(started.duration(to: .now) < .seconds(10), "nothing waited out the 30 s window")
        #expect(batches.withLockedValue { $0 } == [1, 5])
        await pool.shutdown()
    }
}
