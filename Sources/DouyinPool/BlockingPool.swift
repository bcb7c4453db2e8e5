import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// A connection to a server through a blocking C client (libpq, hiredis).
public protocol BlockingConnection: AnyObject {
    /// False once the connection has failed; the pool then closes it and opens a new one.
    var isHealthy: Bool { get }
    func close()
}

/// A connection that can run several independent units in one round trip (for
/// libpq, a pipeline): under load, units waiting at the same time go together.
public protocol BatchingConnection: BlockingConnection {
    associatedtype BatchItem: Sendable
    associatedtype BatchOutput: Sendable
    /// Runs each item as if alone (one failing does not fail the others) and returns
    /// their results in order. `fresh`: the connection was opened for this batch.
    func runBatch(_ items: [BatchItem], fresh: Bool) -> [Result<BatchOutput, any Error>]
}

public enum PoolError: Error, Equatable, Sendable {
    /// No connection became free within the acquire timeout.
    case acquireTimeout(pool: String)
    case shutDown(pool: String)
}

/// A bounded pool of blocking connections, each used by one thread at a time.
///
/// Every unit of work runs on one of the pool's own threads, never on the caller's,
/// so async callers (and event loops) never block on the C client. Units of work
/// wait in one queue, in order, at most `acquireTimeout`; the pool has one thread
/// per connection, and a thread that finishes a unit takes the next queued one
/// itself. So under load a query costs one thread hop (its result back to the
/// caller's event loop) rather than three (the caller woken to take a freed
/// connection, the work handed to a thread, the result handed back): on two
/// cores those hops had been the largest cost of a write.
///
/// Only `eagerWorkers` units (default one) start at once; more wait for a busy worker,
/// which takes the waiting batchable units together (`batched`): on two cores, eight
/// statements in one pipeline cost the database and this process far less than eight
/// threads and eight server processes woken for one statement each (measured: about a
/// third more likes per second than eight eager workers). More workers join when
/// `queueWorthAWorker` units wait, so a slow unit delays the others at most until the
/// queue is that long.
///
/// The pool opens at most `maxConnections`, lazily, and reuses the most recently
/// used one first. A connection that reports itself unhealthy after a unit of work
/// is closed and replaced on next use, which is how the pool reconnects after a
/// server restart.
public final class BlockingPool<Connection: BlockingConnection>: @unchecked Sendable {
    public let name: String
    public let maxConnections: Int
    public let acquireTimeout: Duration
    private let connect: @Sendable () throws -> Connection
    private let queue: WorkQueue<Connection>
    /// One long-running worker per connection.
    private let threads: NIOThreadPool

    public init(
        name: String,
        maxConnections: Int,
        acquireTimeout: Duration = .seconds(5),
        eagerWorkers: Int = 1,
        connect: @escaping @Sendable () throws -> Connection
    ) {
        precondition(maxConnections > 0, "a pool needs at least one connection")
        self.name = name
        self.maxConnections = maxConnections
        self.acquireTimeout = acquireTimeout
        self.connect = connect
        let queue = WorkQueue<Connection>(permits: maxConnections, eagerWorkers: max(1, eagerWorkers))
        self.queue = queue
        self.threads = NIOThreadPool(numberOfThreads: maxConnections)
        threads.start()
        for _ in 0..<maxConnections {
            threads.submit { _ in queue.work(connect: connect) }
        }
    }

    /// Numbers for metrics: connections open, leased, callers waiting.
    public var usage: (open: Int, leased: Int, waiting: Int) { queue.usage }

    /// Runs `body` with a connection on one of the pool's threads.
    ///
    /// `fresh` tells the body whether the connection was opened for this call,
    /// so a wrapper can tell a stale connection (safe to retry) from a real failure.
    public func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (Connection, _ fresh: Bool) throws -> T
    ) async throws -> T {
        let id = queue.nextID()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                let job = Job<Connection>(
                    id: id,
                    deadline: .now() + TimeAmount(acquireTimeout),
                    work: .alone { connection, fresh in
                        let result = Result { try body(connection, fresh) }
                        return { continuation.resume(with: result) }
                    },
                    fail: { continuation.resume(throwing: $0) }
                )
                submit(job)
            }
        } onCancel: {
            queue.remove(id)?.fail(CancellationError())
        }
    }

    /// Queues a unit: fails it at once if the pool is shut down; a unit that has to wait
    /// is failed by the pool's expiry sweep if no worker takes it by its deadline.
    private func submit(_ job: Job<Connection>) {
        switch queue.enqueue(job) {
        case .shutDown:
            job.fail(PoolError.shutDown(pool: name))
        case .taken:
            break
        case .waiting(let startsSweep):
            if startsSweep { scheduleSweep(at: job.deadline) }
        }
    }

    /// One timer for all waiting units, not one each: under load most units wait, and a
    /// timer each (scheduled on an event loop, then cancelled by the worker that took the
    /// unit, with a search of the queue to attach it) cost more than the rest of queueing.
    /// Units are queued in deadline order, so the sweep fires when the oldest one is due,
    /// fails what is due by then, and comes back for the next oldest. (`DeadlineTimer` in
    /// DouyinNIO is the same idea for one channel's requests, confined to its event loop; it
    /// also re-arms earlier for a sooner deadline, which queue order makes needless here, and
    /// DouyinPool sits beside DouyinNIO in the module graph, not above it.)
    private func scheduleSweep(at deadline: NIODeadline) {
        let eventLoop = MultiThreadedEventLoopGroup.currentEventLoop ?? MultiThreadedEventLoopGroup.singleton.next()
        eventLoop.scheduleTask(deadline: deadline) { [self] () -> Void in
            let (expired, next) = queue.expire(dueBy: .now())
            for job in expired { job.fail(PoolError.acquireTimeout(pool: name)) }
            if let next { scheduleSweep(at: next) }
        }
    }

    /// Fails the units still waiting, lets running ones finish, closes every connection.
    public func shutdown() async {
        for job in queue.shutDown() { job.fail(PoolError.shutDown(pool: name)) }
        // The workers leave once their current unit is done; the threads end with them.
        try? await threads.shutdownGracefully()
    }
}

/// One unit of work: run on a worker with a connection, or `fail`; exactly one of them, once.
private struct Job<Connection> {
    enum Work {
        /// A closure with the connection to itself; what it returns finishes the unit
        /// (called once the connection is back in the pool, so the caller's next unit can have it).
        case alone((Connection, _ fresh: Bool) -> () -> Void)
        /// An item that may share a round trip with other batched units; `run` runs
        /// any such items (of this pool, so of the same type) and finishes each unit.
        case batched(item: Any, finish: (Result<Any, any Error>) -> Void, run: BatchRunner<Connection>)
    }

    let id: UInt64
    /// When the unit fails with `PoolError.acquireTimeout` if no worker has taken it.
    let deadline: NIODeadline
    let work: Work
    let fail: (any Error) -> Void

    var isBatched: Bool {
        if case .batched = work { return true }
        return false
    }
}

private typealias BatchRunner<Connection> = (_ items: [Any], Connection, _ fresh: Bool) -> [Result<Any, any Error>]

extension BlockingPool where Connection: BatchingConnection {
    /// Runs `item` on one of the pool's threads, in one round trip with the other
    /// batched units waiting when a worker comes to it (at most `maxBatch`).
    public func batched(_ item: Connection.BatchItem) async throws -> Connection.BatchOutput {
        let id = queue.nextID()
        let run: BatchRunner<Connection> = { items, connection, fresh in
            // Every batched unit of this pool carries a `Connection.BatchItem`.
            connection.runBatch(items.map { $0 as! Connection.BatchItem }, fresh: fresh).map { $0.map { $0 as Any } }
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Connection.BatchOutput, any Error>) in
                let job = Job<Connection>(
                    id: id,
                    deadline: .now() + TimeAmount(acquireTimeout),
                    work: .batched(item: item, finish: { continuation.resume(with: $0.map { $0 as! Connection.BatchOutput }) }, run: run),
                    fail: { continuation.resume(throwing: $0) }
                )
                submit(job)
            }
        } onCancel: {
            queue.remove(id)?.fail(CancellationError())
        }
    }
}

private enum EnqueueOutcome {
    /// An idle worker was woken for it.
    case taken
    /// Every worker is busy: it waits its turn. `startsSweep`: no expiry sweep is
    /// scheduled, and the caller must schedule one for this unit's deadline.
    case waiting(startsSweep: Bool)
    case shutDown
}

/// The queue of units and the idle connections, under one mutex; workers sleep on its condition.
private final class WorkQueue<Connection: BlockingConnection>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var jobs = CircularBuffer<Job<Connection>>()
    private var idleConnections: [Connection] = []
    /// Connections that may still be opened.
    private var permits: Int
    private var idleWorkers = 0
    /// Idle workers signalled and not awake yet.
    private var wakingWorkers = 0
    /// Workers put to work at once before units queue (and batch) behind them.
    private let eagerWorkers: Int
    private var busyWorkers = 0
    private var lastID: UInt64 = 0
    private var isShutDown = false
    /// An expiry sweep is scheduled (`BlockingPool.scheduleSweep`).
    private var sweepScheduled = false

    init(permits: Int, eagerWorkers: Int) {
        self.permits = permits
        self.eagerWorkers = eagerWorkers
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    var usage: (open: Int, leased: Int, waiting: Int) {
        locked { (idleConnections.count + busyWorkers, busyWorkers, jobs.count) }
    }

    func nextID() -> UInt64 {
        locked {
            lastID += 1
            return lastID
        }
    }

    func enqueue(_ job: Job<Connection>) -> EnqueueOutcome {
        locked {
            if isShutDown { return .shutDown }
            jobs.append(job)
            // Another worker only while few are busy, or when a batch's worth waits:
            // otherwise the unit waits for a busy worker, which takes it with the
            // others waiting then, in one round trip.
            let active = busyWorkers + wakingWorkers
            guard idleWorkers > wakingWorkers, active < eagerWorkers || jobs.count >= Self.queueWorthAWorker else {
                defer { sweepScheduled = true }
                return .waiting(startsSweep: !sweepScheduled)
            }
            wakingWorkers += 1
            pthread_cond_signal(condition)
            return .taken
        }
    }

    /// Takes out the units due by `now`; returns them (to fail) and the deadline of the
    /// oldest one left, when the sweep must come back (else it stops until a unit waits again).
    func expire(dueBy now: NIODeadline) -> (expired: [Job<Connection>], next: NIODeadline?) {
        locked {
            var expired: [Job<Connection>] = []
            while let first = jobs.first, first.deadline <= now {
                expired.append(jobs.removeFirst())
            }
            let next = jobs.first?.deadline
            sweepScheduled = next != nil
            return (expired, next)
        }
    }

    /// Takes a unit out of the queue before a worker does (cancellation).
    func remove(_ id: UInt64) -> Job<Connection>? {
        locked {
            guard let index = jobs.firstIndex(where: { $0.id == id }) else { return nil }
            return jobs.remove(at: index)
        }
    }

    /// Stops taking units; returns those still queued (to fail) and wakes every worker.
    func shutDown() -> [Job<Connection>] {
        locked {
            isShutDown = true
            defer { jobs.removeAll() }
            pthread_cond_broadcast(condition)
            return Array(jobs)
        }
    }

    /// A worker's life: take the next unit (or batch of units), run it with a connection, give the connection back.
    func work(connect: () throws -> Connection) {
        while let (jobs, connection) = next() {
            var leased = connection
            let finish: () -> Void
            do {
                let fresh = leased == nil
                if leased == nil { leased = try connect() }
                finish = Self.run(jobs, on: leased!, fresh: fresh)
            } catch {
                finish = { for job in jobs { job.fail(error) } }
            }
            if let unhealthy = leased, !unhealthy.isHealthy {
                unhealthy.close()
                leased = nil
            }
            giveBack(leased)
            finish()
        }
        // Shut down: this worker closes what is idle by the time it leaves.
        for connection in locked({ () -> [Connection] in
            defer { idleConnections.removeAll() }
            return idleConnections
        }) {
            connection.close()
        }
    }

    /// Runs the work; returns what finishes its units.
    private static func run(_ jobs: [Job<Connection>], on connection: Connection, fresh: Bool) -> () -> Void {
        switch jobs[0].work {
        case .alone(let body):
            return body(connection, fresh)
        case .batched(_, _, let runBatch):
            var items: [Any] = []
            var finishes: [(Result<Any, any Error>) -> Void] = []
            for job in jobs {
                guard case .batched(let item, let finish, _) = job.work else { continue }
                items.append(item)
                finishes.append(finish)
            }
            let results = runBatch(items, connection, fresh)
            precondition(results.count == finishes.count, "a batch must answer every item")
            return { for (finish, result) in zip(finishes, results) { finish(result) } }
        }
    }

    /// Blocks until there is work or the pool shuts down (nil). The work is one unit,
    /// or a batched unit with the batched units queued right behind it; the connection
    /// is an idle one, or nil with a permit to open one.
    private func next() -> ([Job<Connection>], Connection?)? {
        locked {
            while jobs.isEmpty && !isShutDown {
                idleWorkers += 1
                pthread_cond_wait(condition, mutex)
                idleWorkers -= 1
                if wakingWorkers > 0 { wakingWorkers -= 1 }
            }
            guard !isShutDown, let first = jobs.popFirst() else { return nil }
            var taken = [first]
            if first.isBatched {
                while taken.count < Self.maxBatch, let following = jobs.first, following.isBatched {
                    taken.append(jobs.removeFirst())
                }
            }
            busyWorkers += 1
            if let connection = idleConnections.popLast() { return (taken, connection) }
            // Each worker holds at most one connection, so with one worker per permit there is always one.
            permits -= 1
            return (taken, nil)
        }
    }

    /// Units that share one round trip at most. Large, because a connection may run a
    /// batch's writes as one transaction, even as one statement per kind (for PostgreSQL,
    /// `MergedWrites`): then sixty likes and unlikes wait for one WAL flush and run one statement.
    static var maxBatch: Int { 64 }

    /// Units waiting that wake another worker. Smaller than a batch: reads wait in the
    /// queue only until this many have gathered, not until a whole batch has.
    static var queueWorthAWorker: Int { 16 }

    private func giveBack(_ connection: Connection?) {
        locked {
            busyWorkers -= 1
            if let connection { idleConnections.append(connection) } else { permits += 1 }
        }
    }
}
