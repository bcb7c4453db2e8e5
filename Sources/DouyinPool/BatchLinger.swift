/// How long a batch waits for more units while they keep coming (`BlockingPool.batched`).
///
/// A batch of writes pays a fixed cost however many it holds: for PostgreSQL one WAL
/// flush, one statement's start-up and one round trip, which on two cores cost more CPU
/// than ten likes' own rows. A batch that starts the moment a worker is free holds only
/// what arrived while the last one ran; under load, waiting a little longer shares that
/// cost among more writes, and the CPU it frees serves more of them.
public struct BatchLinger: Sendable, Equatable {
    /// The longest a worker holds back a batch for more units to join it.
    public var window: Duration
    /// Units already waiting when a worker comes to the queue, at least: they arrived
    /// while the last batch ran, so more keep coming. With fewer (a lone write, light
    /// traffic) the batch starts at once, so an idle service adds no latency.
    public var whenWaiting: Int

    public init(window: Duration, whenWaiting: Int) {
        self.window = window
        self.whenWaiting = whenWaiting
    }
}
