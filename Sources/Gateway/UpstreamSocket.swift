import HummingbirdWebSocket
import NIOConcurrencyHelpers

/// A socket to a chat instance, opened for a client before the client's own upgrade
/// is answered, and handed to that client's socket once it runs.
///
/// Why before: the chat instance subscribes to the user's messages before it accepts
/// a socket, so once the client has its `101` a message sent to them is pushed. Were
/// the upstream opened after, a message sent at once could reach the chat service
/// before any socket of that user existed there, and not be pushed.
final class UpstreamSocket: Sendable {
    typealias Sides = (inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter)

    private enum State {
        case opening
        /// Open, not yet taken by the client's socket.
        case open(Sides)
        case failed
        case taken
        /// The client's socket ended, or never came.
        case done
    }

    private let state = NIOLockedValueBox(State.opening)
    private let opened = AsyncStream<Void>.makeStream()
    private let finished = AsyncStream<Void>.makeStream()

    /// Called from inside the upstream connection (nil: it could not be opened); only the first call counts.
    func opened(_ sides: Sides?) {
        state.withLockedValue { state in
            guard case .opening = state else { return }
            state = sides.map { .open($0) } ?? .failed
        }
        opened.continuation.finish()
    }

    /// Waits until the upstream is open or has failed.
    func waitUntilOpened() async {
        for await _ in opened.stream {}
    }

    /// The upstream's sides, once; nil if it failed or was given up.
    func take() -> Sides? {
        state.withLockedValue { state in
            guard case .open(let sides) = state else { return nil }
            state = .taken
            return sides
        }
    }

    /// The client's socket is done with the upstream.
    func finish() {
        state.withLockedValue { $0 = .done }
        finished.continuation.finish()
    }

    /// Keeps the upstream open while a client's socket uses it; gives it up if no socket
    /// takes it within `limit` (the client's upgrade failed).
    func holdOpen(claimWithin limit: Duration) async {
        await withTaskGroup(of: Bool.self) { [state, finished] group in
            group.addTask {
                for await _ in finished.stream {}
                return true
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                let unclaimed = state.withLockedValue { state in
                    guard case .open = state else { return false }
                    state = .done
                    return true
                }
                if unclaimed { finished.continuation.finish() }
                return false
            }
            while let ended = await group.next() {
                if ended { break }
            }
            group.cancelAll()
        }
    }
}
