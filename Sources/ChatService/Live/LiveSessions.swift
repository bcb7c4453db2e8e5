import DouyinModels
import NIOConcurrencyHelpers

/// The open chat sockets of this process, by user.
///
/// Each socket has a bounded outbox: a reader too slow to keep up fills it and
/// is disconnected, so no client can make the server buffer without limit.
///
/// A socket's outbox is reserved before its upgrade is answered (`reserve`) and
/// taken by the socket once it runs (`open`): a message that arrives in between
/// waits in the outbox instead of finding no socket.
public final class LiveSessions: Sendable {
    private struct State {
        var sockets: [UserID: [ObjectIdentifier: Outbox]] = [:]
        /// Outboxes reserved for sockets whose upgrade was answered, oldest first.
        var reserved: [UserID: [(outbox: Outbox, since: ContinuousClock.Instant)]] = [:]

        mutating func add(_ outbox: Outbox) {
            sockets[outbox.user, default: [:]][ObjectIdentifier(outbox)] = outbox
        }

        mutating func remove(_ outbox: Outbox) {
            sockets[outbox.user]?[ObjectIdentifier(outbox)] = nil
            if sockets[outbox.user]?.isEmpty == true { sockets[outbox.user] = nil }
            reserved[outbox.user]?.removeAll { $0.outbox === outbox }
            if reserved[outbox.user]?.isEmpty == true { reserved[outbox.user] = nil }
        }
    }

    private let state = NIOLockedValueBox(State())
    let outboxCapacity: Int

    public init(outboxCapacity: Int = 256) {
        self.outboxCapacity = outboxCapacity
    }

    public var count: Int { state.withLockedValue { $0.sockets.values.reduce(0) { $0 + $1.count } } }

    /// An outbox for a socket of `user` about to be accepted; it hears messages from now on.
    func reserve(for user: UserID, now: ContinuousClock.Instant = .now) {
        let outbox = Outbox(user: user, capacity: outboxCapacity)
        state.withLockedValue { state in
            state.add(outbox)
            state.reserved[user, default: []].append((outbox, now))
        }
    }

    /// The outbox of a socket of `user` that now runs: the one reserved for it, if any.
    func open(for user: UserID) -> Outbox {
        state.withLockedValue { state in
            if let first = state.reserved[user]?.first {
                state.reserved[user]?.removeFirst()
                if state.reserved[user]?.isEmpty == true { state.reserved[user] = nil }
                return first.outbox
            }
            let outbox = Outbox(user: user, capacity: outboxCapacity)
            state.add(outbox)
            return outbox
        }
    }

    func close(_ outbox: Outbox) {
        outbox.finish()
        state.withLockedValue { $0.remove(outbox) }
    }

    /// Closes outboxes reserved longer than `limit` ago whose socket never came (its upgrade failed).
    func dropUnclaimed(olderThan limit: Duration, now: ContinuousClock.Instant = .now) {
        let stale = state.withLockedValue { state in
            state.reserved.values.flatMap { $0 }.filter { $0.since.duration(to: now) >= limit }.map(\.outbox)
        }
        for outbox in stale { close(outbox) }
    }

    /// Whether `user` has a socket open here.
    func isOpen(for user: UserID) -> Bool {
        state.withLockedValue { $0.sockets[user] != nil }
    }

    /// Queues a frame on every open socket of `user`; made only if there is one.
    func deliver(_ frame: () -> String, to user: UserID) {
        guard let targets = state.withLockedValue({ $0.sockets[user].map { Array($0.values) } }), !targets.isEmpty else { return }
        let text = frame()
        for outbox in targets { outbox.push(text) }
    }

    /// Ends every socket (shutdown).
    func closeAll() {
        let all = state.withLockedValue { $0.sockets.values.flatMap(\.values) }
        for outbox in all { outbox.finish() }
    }
}

/// Frames waiting to be written to one socket.
final class Outbox: Sendable {
    let user: UserID
    let frames: AsyncStream<String>
    private let continuation: AsyncStream<String>.Continuation
    private let overflowed = NIOLockedValueBox(false)

    init(user: UserID, capacity: Int) {
        self.user = user
        (frames, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingOldest(capacity))
    }

    /// Queues a frame; a full outbox ends the socket instead of growing.
    func push(_ text: String) {
        if case .dropped = continuation.yield(text) {
            overflowed.withLockedValue { $0 = true }
            continuation.finish()
        }
    }

    var didOverflow: Bool { overflowed.withLockedValue { $0 } }

    func finish() { continuation.finish() }
}
