import NIOCore

/// One event-loop timer standing in for the deadlines of many requests in flight.
///
/// A timer per request is a heap insert, a heap removal and a closure allocation,
/// and nearly every one of them is cancelled: at full load that cost the user
/// service about a tenth of its CPU. Here a request only records its deadline.
/// The owner arms this timer for the request's deadline, which schedules nothing
/// while a timer is already due earlier; when it fires, the owner expires what is
/// due and arms it again for the earliest deadline still pending. Every deadline
/// is still kept to the event-loop tick, and in steady state a timer is scheduled
/// about once per timeout instead of once per request.
///
/// Confined to one event loop, like the handler that owns it.
public struct DeadlineTimer {
    private var scheduled: Scheduled<Void>?
    private var firesAt = NIODeadline.distantFuture

    public init() {}

    /// Makes sure `fire` runs no later than `deadline`; a timer already due by then is kept.
    public mutating func arm(by deadline: NIODeadline, on eventLoop: any EventLoop, fire: @escaping @Sendable () -> Void) {
        guard deadline < firesAt else { return }
        scheduled?.cancel()
        firesAt = deadline
        scheduled = eventLoop.scheduleTask(deadline: deadline, fire)
    }

    /// Whether the timer already fires by `deadline`, so arming it for that would change nothing.
    public func fires(by deadline: NIODeadline) -> Bool {
        firesAt <= deadline
    }

    /// Called first thing when the timer fires, so that arming it again schedules anew.
    public mutating func fired() {
        scheduled = nil
        firesAt = .distantFuture
    }

    public mutating func cancel() {
        scheduled?.cancel()
        fired()
    }
}

/// A channel handler whose requests in flight have deadlines, watched by one `DeadlineTimer`.
/// Confined to its channel's event loop.
public protocol DeadlineWatching: AnyObject {
    var deadlines: DeadlineTimer { get set }
    /// Ends the requests due by `now` and returns the earliest deadline still pending.
    func expire(dueBy now: NIODeadline) -> NIODeadline?
}

extension DeadlineWatching {
    /// Makes sure `expire` runs by `deadline` (and again for whatever is pending then).
    public func watch(_ deadline: NIODeadline, on eventLoop: any EventLoop) {
        // The common case, checked before a closure is made for `arm`.
        guard !deadlines.fires(by: deadline) else { return }
        let handler = NIOLoopBound(self, eventLoop: eventLoop)
        deadlines.arm(by: deadline, on: eventLoop) {
            handler.value.deadlines.fired()
            if let next = handler.value.expire(dueBy: eventLoop.now) {
                handler.value.watch(next, on: eventLoop)
            }
        }
    }
}
