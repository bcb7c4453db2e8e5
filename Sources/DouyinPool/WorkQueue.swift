import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// One unit of work: run on a worker with a connection, or `fail`; exactly one of them, once.
struct Job<Connection> {
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
    /// A batched unit that may wait, under load, for others to join its batch (`BatchLinger`).
    var lingers = false
    let work: Work
    let fail: (any Error) -> Void

    var isBatched: Bool {
        if case .batched = work { return true }
        return false
    }
}

typealias BatchRunner<Connection> = (_ items: [Any], Connection, _ fresh: Bool) -> [Result<Any, any Error>]

enum EnqueueOutcome {
    /// An idle worker was woken for it.
    case taken
    /// Every worker is busy: it waits its turn. `startsSweep`: no expiry sweep is
    /// scheduled, and the caller must schedule one for this unit's deadline.
    case waiting(startsSweep: Bool)
    case shutDown
}

/// The queue of units and the idle connections, under one mutex; workers sleep on its condition.
final class WorkQueue<Connection: BlockingConnection>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Where a lingering worker waits (on the monotonic clock) for its batch to fill.
    private let lingerCondition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let linger: BatchLinger?
    /// A worker is letting the queue fill before it takes a batch (`BatchLinger`).
    private var lingering = false
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

    init(permits: Int, eagerWorkers: Int, linger: BatchLinger?) {
        self.permits = permits
        self.eagerWorkers = eagerWorkers
        self.linger = linger
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(lingerCondition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_cond_destroy(lingerCondition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        lingerCondition.deallocate()
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
            // A lingering worker takes this unit with the rest; it starts at once when the batch is full.
            if lingering, jobs.count >= Self.maxBatch { pthread_cond_signal(lingerCondition) }
            // Another worker only while few are busy, or when a batch's worth waits:
            // otherwise the unit waits for a busy worker, which takes it with the
            // others waiting then, in one round trip.
            let active = busyWorkers + wakingWorkers
            guard !lingering, idleWorkers > wakingWorkers, active < eagerWorkers || jobs.count >= Self.queueWorthAWorker else {
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
            pthread_cond_broadcast(lingerCondition)
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
            while true {
                // While one worker lingers, the queue is its batch: the others wait.
                while (jobs.isEmpty || lingering) && !isShutDown {
                    idleWorkers += 1
                    pthread_cond_wait(condition, mutex)
                    idleWorkers -= 1
                    if wakingWorkers > 0 { wakingWorkers -= 1 }
                }
                guard !isShutDown else { return nil }
                let lingered = lingerForMore()
                guard let taken = takeBatch() else { continue }
                // Units left behind a full batch go to a worker that came meanwhile.
                if lingered, !jobs.isEmpty, idleWorkers > wakingWorkers {
                    wakingWorkers += 1
                    pthread_cond_signal(condition)
                }
                return taken
            }
        }
    }

    /// Under load, lets the queue fill for the window, or until a batch is full
    /// (`BatchLinger`); true if it waited. Called with the mutex held.
    private func lingerForMore() -> Bool {
        guard let linger, jobs.first?.lingers == true, jobs.count >= linger.whenWaiting else { return false }
        let until = NIODeadline.now() + TimeAmount(linger.window)
        lingering = true
        defer { lingering = false }
        while !isShutDown, jobs.count < Self.maxBatch, case let left = until - .now(), left > .zero {
            var wakeAt = timespec()
            clock_gettime(CLOCK_MONOTONIC, &wakeAt)
            let nanoseconds = Int(wakeAt.tv_nsec) + Int(left.nanoseconds)
            wakeAt.tv_sec += nanoseconds / 1_000_000_000
            wakeAt.tv_nsec = nanoseconds % 1_000_000_000
            pthread_cond_timedwait(lingerCondition, mutex, &wakeAt)
        }
        return true
    }

    /// The next unit, or batch, with the connection for it; nil when the queue is empty
    /// (another worker took it while this one lingered). Called with the mutex held.
    private func takeBatch() -> ([Job<Connection>], Connection?)? {
        guard let first = jobs.popFirst() else { return nil }
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
