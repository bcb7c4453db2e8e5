import DouyinModels
import NIOConcurrencyHelpers

/// The open chat sockets of this process, by user.
///
/// Each socket has a bounded outbox: a reader too slow to keep up fills it and
/// is disconnected, so no client can make the server buffer without limit.
public final class LiveSessions: Sendable {
    private let sockets = NIOLockedValueBox<[UserID: [ObjectIdentifier: Outbox]]>([:])
    let outboxCapacity: Int

    public init(outboxCapacity: Int = 256) {
        self.outboxCapacity = outboxCapacity
    }

    public var count: Int { sockets.withLockedValue { $0.values.reduce(0) { $0 + $1.count } } }

    func open(for user: UserID) -> Outbox {
        let outbox = Outbox(user: user, capacity: outboxCapacity)
        sockets.withLockedValue { $0[user, default: [:]][ObjectIdentifier(outbox)] = outbox }
        return outbox
    }

    func close(_ outbox: Outbox) {
        outbox.finish()
        sockets.withLockedValue { sockets in
            sockets[outbox.user]?[ObjectIdentifier(outbox)] = nil
            if sockets[outbox.user]?.isEmpty == true { sockets[outbox.user] = nil }
        }
    }

    /// Whether `user` has a socket open here.
    func isOpen(for user: UserID) -> Bool {
        sockets.withLockedValue { $0[user] != nil }
    }

    /// Queues a frame on every open socket of `user`; made only if there is one.
    func deliver(_ frame: () -> String, to user: UserID) {
        guard let targets = sockets.withLockedValue({ $0[user].map { Array($0.values) } }), !targets.isEmpty else { return }
        let text = frame()
        for outbox in targets { outbox.push(text) }
    }

    /// Ends every socket (shutdown).
    func closeAll() {
        let all = sockets.withLockedValue { $0.values.flatMap(\.values) }
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
