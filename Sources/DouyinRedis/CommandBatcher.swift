import NIOConcurrencyHelpers

/// Merges the commands of concurrent callers into shared round trips.
///
/// Each round trip (a "flight") costs two thread hand-offs and two system calls
/// whatever it carries, so under load sending one caller's GET per flight spends
/// most of the time on the hand-offs. At most `maxFlights` are in the air; a caller
/// arriving while all are busy waits in a queue, and when a flight lands the
/// first waiter takes the whole queue up as the next flight, in its own task.
/// A caller's commands stay together and in order; commands of different callers
/// were concurrent anyway, so their relative order was never promised.
/// A blocking command (BLPOP and the like) holds up the callers merged with it;
/// the services send none.
final class CommandBatcher: Sendable {
    typealias Commands = [[any RedisArgument]]
    typealias Flight = @Sendable (Commands) async throws -> [RedisValue]

    private enum Turn: Sendable {
        /// Send the queue (and your own commands) now.
        case lead
        /// Someone else's flight carried your commands.
        case done(Result<[RedisValue], any Error>)
    }

    private struct Waiter {
        let commands: SendableCommands
        let continuation: CheckedContinuation<Turn, Never>
    }

    private struct State {
        var flights = 0
        /// Callers waiting for a flight; only non-empty while `flights == maxFlights`.
        var queue: [Waiter] = []
    }

    private let maxFlights: Int
    private let fly: Flight
    private let state = NIOLockedValueBox(State())

    init(maxFlights: Int, fly: @escaping Flight) {
        precondition(maxFlights > 0)
        self.maxFlights = maxFlights
        self.fly = fly
    }

    /// Sends `commands` in the next flight and returns their replies, in order.
    func send(_ commands: Commands) async throws -> [RedisValue] {
        let turn = await withCheckedContinuation { (continuation: CheckedContinuation<Turn, Never>) in
            let leadNow = state.withLockedValue { s in
                if s.flights < maxFlights {
                    s.flights += 1
                    return true
                }
                s.queue.append(Waiter(commands: SendableCommands(commands), continuation: continuation))
                return false
            }
            if leadNow { continuation.resume(returning: .lead) }
        }
        switch turn {
        case .done(let result): return try result.get()
        case .lead: return try await lead(with: commands)
        }
    }

    /// Flies the caller's commands together with everyone queued, hands the replies
    /// out, then passes the flight slot on.
    private func lead(with own: Commands) async throws -> [RedisValue] {
        let riders = state.withLockedValue { s in
            defer { s.queue.removeAll(keepingCapacity: true) }
            return s.queue
        }
        defer { handOver() }
        guard !riders.isEmpty else { return try await fly(own) }
        let all = riders.reduce(into: own) { $0.append(contentsOf: $1.commands.value) }
        let replies: [RedisValue]
        do {
            replies = try await fly(all)
        } catch {
            for rider in riders { rider.continuation.resume(returning: .done(.failure(error))) }
            throw error
        }
        var offset = own.count
        for rider in riders {
            let count = rider.commands.value.count
            rider.continuation.resume(returning: .done(.success(Array(replies[offset..<offset + count]))))
            offset += count
        }
        return Array(replies[..<own.count])
    }

    /// Gives the slot of a landed flight to the next waiter, or frees it.
    private func handOver() {
        let next = state.withLockedValue { s -> Waiter? in
            guard !s.queue.isEmpty else {
                s.flights -= 1
                return nil
            }
            return s.queue.removeFirst()
        }
        next?.continuation.resume(returning: .lead)
    }
}

/// Arguments are immutable values (strings, integers, bytes); they cross threads safely.
struct SendableCommands: @unchecked Sendable {
    let value: [[any RedisArgument]]
    init(_ value: [[any RedisArgument]]) { self.value = value }
}
