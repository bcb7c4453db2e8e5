@testable import DouyinRedis
import NIOConcurrencyHelpers
import Testing

/// The merging of concurrent callers into shared round trips, against a stand-in
/// round trip that echoes each command's first argument (no server needed).
struct CommandBatcherTests {
    /// Records every flight and answers each command with its own first argument,
    /// after a pause so that callers pile up behind a busy flight.
    final class EchoServer: Sendable {
        let flights = NIOLockedValueBox<[Int]>([])
        let failing: NIOLockedValueBox<Bool>

        init(failing: Bool = false) { self.failing = NIOLockedValueBox(failing) }

        func fly(_ commands: [[any RedisArgument]]) async throws -> [RedisValue] {
            flights.withLockedValue { $0.append(commands.count) }
            try await Task.sleep(for: .milliseconds(20))
            if failing.withLockedValue({ $0 }) { throw RedisError.connection("server gone") }
            return commands.map { .bulk($0[0].redisBytes) }
        }
    }

    @Test func eachCallerGetsItsOwnRepliesInOrderWhileFlightsAreShared() async throws {
        let server = EchoServer()
        let batcher = CommandBatcher(maxFlights: 2) { try await server.fly($0) }
        let callers = 50
        try await withThrowingTaskGroup(of: (Int, [RedisValue]).self) { group in
            for caller in 0..<callers {
                group.addTask {
                    let commands: [[any RedisArgument]] = (0..<3).map { [("\(caller)-\($0)")] }
                    return (caller, try await batcher.send(commands))
                }
            }
            for try await (caller, replies) in group {
                #expect(replies.map(\.string) == (0..<3).map { "\(caller)-\($0)" })
            }
        }
        let flights = server.flights.withLockedValue { $0 }
        #expect(flights.reduce(0, +) == callers * 3, "every command flew exactly once")
        #expect(flights.count < callers, "callers that arrived while flights were busy shared one: \(flights)")
    }

    @Test func aFailedFlightFailsEveryCallerInIt() async throws {
        let server = EchoServer(failing: true)
        let batcher = CommandBatcher(maxFlights: 1) { try await server.fly($0) }
        let failures = await withTaskGroup(of: Bool.self) { group in
            for caller in 0..<10 {
                group.addTask {
                    do {
                        _ = try await batcher.send([["\(caller)"]])
                        return false
                    } catch {
                        return error as? RedisError == .connection("server gone")
                    }
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(failures == 10)
        // The slot was handed on each time: once the server is back, the same batcher works.
        server.failing.withLockedValue { $0 = false }
        #expect(try await batcher.send([["ok"]]).first?.string == "ok")
    }

    @Test func aLoneCallerFliesAtOnce() async throws {
        let server = EchoServer()
        let batcher = CommandBatcher(maxFlights: 4) { try await server.fly($0) }
        for round in 0..<3 {
            #expect(try await batcher.send([["r\(round)"]]).first?.string == "r\(round)")
        }
        #expect(server.flights.withLockedValue { $0 } == [1, 1, 1])
    }
}
