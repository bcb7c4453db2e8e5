import DouyinCaching
import NIOConcurrencyHelpers
import Testing

struct SingleFlightTests {
    @Test func concurrentCallersWithOneKeyShareOneRun() async throws {
        let flight = SingleFlight<String, Int>()
        let runs = NIOLockedValueBox(0)
        let (gate, open) = AsyncStream.makeStream(of: Void.self)
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    try await flight.run("key") {
                        runs.withLockedValue { $0 += 1 }
                        for await _ in gate { break }
                        return 42
                    }
                }
            }
            // Let every caller join the one run before it can finish.
            while !flight.isRunning("key") { await Task.yield() }
            try await Task.sleep(for: .milliseconds(50))
            open.yield()
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results == Array(repeating: 42, count: 10))
        #expect(runs.withLockedValue { $0 } == 1)
    }

    @Test func aFinishedRunIsNotReused() async throws {
        let flight = SingleFlight<Int, Int>()
        let runs = NIOLockedValueBox(0)
        for _ in 0..<3 {
            _ = try await flight.run(1) { runs.withLockedValue { $0 += 1; return $0 } }
        }
        #expect(runs.withLockedValue { $0 } == 3)
    }

    @Test func aFailureReachesEveryWaiterAndIsNotKept() async throws {
        struct Boom: Error {}
        let flight = SingleFlight<Int, Int>()
        await #expect(throws: Boom.self) { try await flight.run(1) { throw Boom() } }
        #expect(try await flight.run(1) { 7 } == 7)
    }
}
