import Foundation
import NIOConcurrencyHelpers
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Standard output, written by one background thread.
///
/// Every request logs a line in every process it crosses; a `write(2)` each,
/// on the event loop that served the request, cost about a fifth of a
/// process's throughput. Here a line costs its caller a lock and a copy, and
/// the writer thread sends whatever has gathered with one write. Warnings and
/// errors are waited for (except on an event loop, which never blocks), so a
/// process that dies right after explaining why still leaves the explanation.
/// Should the output block for good, lines past `limit` bytes are dropped and
/// counted rather than holding requests up.
package final class LogWriter: @unchecked Sendable {
    package static let standardOutput = LogWriter(descriptor: 1)

    private enum State: Equatable {
        case idle
        case pending
    }

    private let descriptor: Int32
    private let limit: Int
    private let condition = ConditionLock(value: State.idle)
    // Guarded by `condition`.
    private var pending: [UInt8] = []
    private var dropped = 0
    /// Whether the state already says `.pending` since the writer last took a batch.
    private var signalled = false
    /// Bytes appended so far, for `flush`.
    private var appended = 0
    /// Bytes written so far; `flush` waits on it.
    private let progress = NSCondition()
    private var written = 0  // guarded by `progress`

    private static let lingerMicroseconds: UInt32 = 10_000

    init(descriptor: Int32, limit: Int = 8 << 20) {
        self.descriptor = descriptor
        self.limit = limit
        let thread = Thread { [self] in run() }
        thread.name = "log-writer"
        thread.start()
    }

    func append(_ line: [UInt8], wait: Bool = false) {
        condition.lock()
        if pending.count + line.count > limit {
            dropped += 1
        } else {
            pending.append(contentsOf: line)
            appended += line.count
        }
        let mark = appended
        // Wake the writer only when it may be asleep: once per batch, not once per line.
        if signalled {
            condition.unlock()
        } else {
            signalled = true
            condition.unlock(withValue: .pending)
        }
        if wait { flush(upTo: mark) }
    }

    /// Returns once everything appended before the call is written (at once on an event loop).
    package func flush() {
        condition.lock()
        let mark = appended
        condition.unlock()
        flush(upTo: mark)
    }

    /// Never waits on an event loop, whoever asks: there the lines stay queued like any
    /// other (and are still written before a normal exit).
    private func flush(upTo mark: Int) {
        guard MultiThreadedEventLoopGroup.currentEventLoop == nil else { return }
        progress.lock()
        while written < mark { progress.wait() }
        progress.unlock()
    }

    private func run() {
        var batch: [UInt8] = []
        while true {
            condition.lock(whenValue: .pending)
            swap(&batch, &pending)
            let lost = dropped
            dropped = 0
            signalled = false
            condition.unlock(withValue: .idle)
            if lost > 0 {
                writeAll(Array("{\"level\":\"warning\",\"msg\":\"log output blocked; \(lost) lines dropped\"}\n".utf8))
            }
            writeAll(batch)
            progress.lock()
            written += batch.count
            progress.broadcast()
            progress.unlock()
            batch.removeAll(keepingCapacity: batch.capacity <= 1 << 20)
            // Let lines gather before the next batch: every wake-up of this thread
            // costs the event loops a timer interrupt or a futex call and the kernel
            // a context switch (measured: 1 ms between batches still cost several
            // percent of the user-info rate); 10 ms of delay costs a log reader nothing.
            usleep(Self.lingerMicroseconds)
        }
    }

    private func writeAll(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let count = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0, errno == EINTR { continue }
                if count <= 0 { return }
                offset += count
            }
        }
    }
}
