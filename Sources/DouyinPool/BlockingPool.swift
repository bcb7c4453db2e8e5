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
/// queue is that long. Under load a batch of units that linger (writes) may wait a
/// little for more (`BatchLinger`); meanwhile the queue is that batch's, and other
/// units wait at most that long more.
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
        linger: BatchLinger? = nil,
        connect: @escaping @Sendable () throws -> Connection
    ) {
        precondition(maxConnections > 0, "a pool needs at least one connection")
        self.name = name
        self.maxConnections = maxConnections
        self.acquireTimeout = acquireTimeout
        self.connect = connect
        let queue = WorkQueue<Connection>(permits: maxConnections, eagerWorkers: max(1, eagerWorkers), linger: linger)
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

extension BlockingPool where Connection: BatchingConnection {
    /// Runs `item` on one of the pool's threads, in one round trip with the other
    /// batched units waiting when a worker comes to it (at most `maxBatch`).
    ///
    /// `lingers`: under load, the worker may hold the batch back for the pool's
    /// `BatchLinger` window, so more units share it (for writes that commit together).
    public func batched(_ item: Connection.BatchItem, lingers: Bool = false) async throws -> Connection.BatchOutput {
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
                    lingers: lingers,
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
