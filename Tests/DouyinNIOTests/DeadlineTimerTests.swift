import DouyinNIO
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing

@Suite struct DeadlineTimerTests {
    /// A later deadline rides on the timer already armed; an earlier one brings it forward.
    @Test func firesByTheEarliestDeadlineArmed() {
        let loop = EmbeddedEventLoop()
        let start = loop.now
        var timer = DeadlineTimer()
        let fired = NIOLockedValueBox<[Int64]>([])
        let record: @Sendable () -> Void = { fired.withLockedValue { $0.append((loop.now - start).nanoseconds / 1_000_000) } }

        timer.arm(by: start + .milliseconds(100), on: loop, fire: record)
        timer.arm(by: start + .milliseconds(300), on: loop, fire: record)
        loop.advanceTime(by: .milliseconds(99))
        #expect(fired.withLockedValue { $0 }.isEmpty)
        loop.advanceTime(by: .milliseconds(1))
        #expect(fired.withLockedValue { $0 } == [100])

        // Until `fired()` the spent timer still counts as armed for 100 ms; afterwards a new one is scheduled.
        timer.fired()
        timer.arm(by: start + .milliseconds(300), on: loop, fire: record)
        timer.arm(by: start + .milliseconds(200), on: loop, fire: record)
        loop.advanceTime(by: .milliseconds(150))
        #expect(fired.withLockedValue { $0 } == [100, 200])
        _ = try? loop.syncShutdownGracefully()
    }

    @Test func cancelledTimerDoesNotFire() {
        let loop = EmbeddedEventLoop()
        var timer = DeadlineTimer()
        let fired = NIOLockedValueBox(0)
        timer.arm(by: loop.now + .milliseconds(10), on: loop) { fired.withLockedValue { $0 += 1 } }
        timer.cancel()
        loop.advanceTime(by: .seconds(1))
        #expect(fired.withLockedValue { $0 } == 0)
        // Armed again after a cancel, it schedules anew.
        timer.arm(by: loop.now + .milliseconds(10), on: loop) { fired.withLockedValue { $0 += 1 } }
        loop.advanceTime(by: .milliseconds(10))
        #expect(fired.withLockedValue { $0 } == 1)
        _ = try? loop.syncShutdownGracefully()
    }

    /// Requests with their own deadlines, in any order, each end when theirs comes and not before.
    @Test func watcherExpiresEachRequestAtItsDeadline() {
        let loop = EmbeddedEventLoop()
        let start = loop.now
        let watcher = Watcher()
        for milliseconds: Int64 in [300, 100, 200] {
            watcher.pending.append(start + .milliseconds(milliseconds))
            watcher.watch(start + .milliseconds(milliseconds), on: loop)
        }
        loop.advanceTime(by: .milliseconds(99))
        #expect(watcher.expired.isEmpty)
        loop.advanceTime(by: .milliseconds(1))
        #expect(watcher.expired == [start + .milliseconds(100)])
        loop.advanceTime(by: .milliseconds(100))
        loop.advanceTime(by: .milliseconds(100))
        #expect(watcher.expired == [100, 200, 300].map { start + .milliseconds($0) })
        #expect(watcher.pending.isEmpty)
        _ = try? loop.syncShutdownGracefully()
    }
}

private final class Watcher: DeadlineWatching {
    var deadlines = DeadlineTimer()
    var pending: [NIODeadline] = []
    var expired: [NIODeadline] = []

    func expire(dueBy now: NIODeadline) -> NIODeadline? {
        expired += pending.filter { $0 <= now }.sorted()
        pending.removeAll { $0 <= now }
        return pending.min()
    }
}
