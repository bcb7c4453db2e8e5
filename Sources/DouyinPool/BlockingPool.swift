import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A connection to a server through a blocking C client (libpq, hiredis).
public protocol BlockingConnection: AnyObject {
    /// False once the connection has failed; the pool then closes it and opens a new one.
    var isHealthy: Bool { get }
    func close()
}

public enum PoolError: Error, Equatable, Sendable {
    /// No connection became free within the acquire timeout.
    case acquireTimeout(pool: String)
    case shutDown(pool: String)
}

/// A bounded pool of blocking connections, each used by one thread at a time.
///
/// Every unit of work runs on the pool's own `NIOThreadPool`, never on the
/// caller's thread, so async callers (and event loops) never block on the C
/// client. The pool opens at most `maxConnections`; callers beyond that wait,
/// in order, at most `acquireTimeout`. A connection that reports itself
/// unhealthy after a unit of work is closed and replaced on next use, which is
/// how the pool reconnects after a server restart.
public final class BlockingPool<Connection: BlockingConnection>: @unchecked Sendable {
    public let name: String
    public let maxConnections: Int
    public let acquireTimeout: Duration
    private let connect: @Sendable () throws -> Connection
    private let threads: NIOThreadPool
    private let state: NIOLockedValueBox<PoolState<Connection>>

    public init(
        name: String,
        maxConnections: Int,
        acquireTimeout: Duration = .seconds(5),
        connect: @escaping @Sendable () throws -> Connection
    ) {
        precondition(maxConnections > 0, "a pool needs at least one connection")
        self.name = name
        self.maxConnections = maxConnections
        self.acquireTimeout = acquireTimeout
        self.connect = connect
        self.threads = NIOThreadPool(numberOfThreads: maxConnections)
        self.threads.start()
        self.state = NIOLockedValueBox(PoolState(permits: maxConnections))
    }

    /// Numbers for metrics: connections open, leased, callers waiting.
    public var usage: (open: Int, leased: Int, waiting: Int) {
        state.withLockedValue { s in
            (s.idle.count + s.leased, s.leased, s.waiters.count)
        }
    }

    /// Runs `body` with a connection on one of the pool's threads.
    ///
    /// `fresh` tells the body whether the connection was opened for this call,
    /// so a wrapper can tell a stale connection (safe to retry) from a real failure.
    public func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (Connection, _ fresh: Bool) throws -> T
    ) async throws -> T {
        let leased = try await lease()
        let box = LeaseBox(leased)
        do {
            let result: T = try await threads.runIfActive { [connect] in
                let connection: Connection
                let fresh: Bool
                if let existing = box.connection, existing.isHealthy {
                    connection = existing
                    fresh = false
                } else {
                    box.connection?.close()
                    box.connection = nil
                    connection = try connect()
                    fresh = true
                }
                box.connection = connection
                return try body(connection, fresh)
            }
            release(box.connection)
            return result
        } catch {
            release(box.connection)
            throw error
        }
    }

    /// Closes idle connections and refuses new work. Leased connections close when returned.
    public func shutdown() async {
        let (idle, waiters) = state.withLockedValue { s in
            s.isShutDown = true
            defer {
                s.idle = []
                s.waiters = []
            }
            return (s.idle, s.waiters)
        }
        for waiter in waiters {
            waiter.timer?.cancel()
            waiter.continuation.resume(throwing: PoolError.shutDown(pool: name))
        }
        if !idle.isEmpty {
            let box = UncheckedBox(idle)
            try? await threads.runIfActive { for connection in box.value { connection.close() } }
        }
        try? await threads.shutdownGracefully()
    }

    // MARK: - Leasing

    /// A permit to use one connection slot; carries the idle connection if there was one.
    private func lease() async throws -> Connection? {
        let waiterID = WaiterID()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<UncheckedBox<Connection?>, any Error>) in
                let outcome: LeaseOutcome<Connection> = state.withLockedValue { s in
                    if s.isShutDown { return .shutDown }
                    if let connection = s.idle.popLast() {
                        s.leased += 1
                        return .leased(connection)
                    }
                    if s.permits > 0 {
                        s.permits -= 1
                        s.leased += 1
                        return .leased(nil)
                    }
                    s.waiters.append(Waiter(id: waiterID, continuation: continuation, timer: nil))
                    return .wait
                }
                switch outcome {
                case .leased(let connection): continuation.resume(returning: UncheckedBox(connection))
                case .shutDown: continuation.resume(throwing: PoolError.shutDown(pool: name))
                case .wait:
                    // A timer on an event loop, not a sleeping task: under load most
                    // callers wait here, and a task per wait costs more than the query.
                    let eventLoop = MultiThreadedEventLoopGroup.currentEventLoop ?? MultiThreadedEventLoopGroup.singleton.next()
                    let timer = eventLoop.scheduleTask(in: TimeAmount(acquireTimeout)) { [weak self] () -> Void in
                        guard let self else { return }
                        abandon(waiterID, with: PoolError.acquireTimeout(pool: name))
                    }
                    // Served already (before the timer existed)? Then the timer is not needed.
                    let stillWaiting = state.withLockedValue { s in
                        guard let index = s.waiters.firstIndex(where: { $0.id == waiterID }) else { return false }
                        s.waiters[index].timer = timer
                        return true
                    }
                    if !stillWaiting { timer.cancel() }
                }
            }
        } onCancel: {
            abandon(waiterID, with: CancellationError())
        }.value
    }

    private func abandon(_ id: WaiterID, with error: any Error) {
        let waiter = state.withLockedValue { s -> Waiter<Connection>? in
            guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return s.waiters.remove(at: index)
        }
        waiter?.timer?.cancel()
        waiter?.continuation.resume(throwing: error)
    }

    private func release(_ connection: Connection?) {
        let healthy = connection.flatMap { $0.isHealthy ? $0 : nil }
        if let connection, healthy == nil { connection.close() }
        let (waiter, closeNow): (Waiter<Connection>?, Connection?) = state.withLockedValue { s in
            if let next = s.waiters.first {
                s.waiters.removeFirst()
                return (next, nil)
            }
            s.leased -= 1
            if s.isShutDown { return (nil, healthy) }
            if let healthy { s.idle.append(healthy) } else { s.permits += 1 }
            return (nil, nil)
        }
        closeNow?.close()
        waiter?.timer?.cancel()
        waiter?.continuation.resume(returning: UncheckedBox(healthy))
    }
}

private enum LeaseOutcome<Connection> {
    case leased(Connection?)
    case wait
    case shutDown
}

private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

private final class WaiterID: Equatable, Sendable {
    static func == (lhs: WaiterID, rhs: WaiterID) -> Bool { lhs === rhs }
}

private struct Waiter<Connection> {
    let id: WaiterID
    let continuation: CheckedContinuation<UncheckedBox<Connection?>, any Error>
    /// Fails the wait at the acquire timeout; cancelled when a connection comes first.
    var timer: Scheduled<Void>?
}

private struct PoolState<Connection> {
    var idle: [Connection] = []
    /// Slots with no connection yet: opening one is allowed.
    var permits: Int
    var leased = 0
    var waiters: [Waiter<Connection>] = []
    var isShutDown = false

    init(permits: Int) { self.permits = permits }
}

/// Moves a connection to the worker thread and back; one thread touches it at a time.
private final class LeaseBox<Connection>: @unchecked Sendable {
    var connection: Connection?
    init(_ connection: Connection?) { self.connection = connection }
}
