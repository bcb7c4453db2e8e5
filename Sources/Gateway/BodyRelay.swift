import NIOConcurrencyHelpers
import NIOCore

/// Hands a request body from the one task that reads it to the HTTP client that
/// sends it upstream, one chunk at a time.
///
/// A request body is an iterator over the connection's inbound stream: it must
/// never have two readers at once, nor a reader after its request is answered
/// (NIO traps on either). The HTTP client reads its request body from a task of
/// its own that can outlive the call, for instance when the upstream answers
/// before it has read everything. So the client never gets the request body
/// itself, only this relay; the reader is a child task of the request, and
/// `abandon()` frees both sides before the request is answered.
final class BodyRelay: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    /// What the HTTP client sees when the relay was abandoned under it.
    struct Abandoned: Error {}

    private enum Phase {
        case open
        /// The reader saw the end of the body; chunks still pending are delivered first.
        case finished
        case failed(any Error)
        /// Nobody sends what is left upstream: the upstream answered or failed.
        case abandoned
    }

    private struct State {
        var phase = Phase.open
        var pending: ByteBuffer?
        /// The reader, waiting for its pending chunk to be taken.
        var sender: CheckedContinuation<Bool, Never>?
        /// The HTTP client, waiting for a chunk.
        var receiver: CheckedContinuation<ByteBuffer?, any Error>?
    }

    private let state = NIOLockedValueBox(State())

    /// Offers one chunk and waits until the HTTP client took it. False once the relay
    /// is abandoned: the reader then stops reading.
    func send(_ chunk: ByteBuffer) async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                enum Action { case refuse, handOver(CheckedContinuation<ByteBuffer?, any Error>), wait }
                let action: Action = state.withLockedValue { state in
                    guard case .open = state.phase else { return .refuse }
                    if let receiver = state.receiver {
                        state.receiver = nil
                        return .handOver(receiver)
                    }
                    assert(state.sender == nil, "one reader sends at a time")
                    state.pending = chunk
                    state.sender = continuation
                    return .wait
                }
                switch action {
                case .refuse:
                    continuation.resume(returning: false)
                case .handOver(let receiver):
                    receiver.resume(returning: chunk)
                    continuation.resume(returning: true)
                case .wait:
                    break
                }
            }
        } onCancel: {
            abandon()
        }
    }

    /// Whether the client's body failed (its connection was cut mid-body).
    var readerFailed: Bool {
        state.withLockedValue { state in
            if case .failed = state.phase { return true }
            return false
        }
    }

    /// The reader reached the end of the body.
    func finish() {
        end(.finished)
    }

    /// The reader's body failed (the client went away mid-body).
    func fail(_ error: any Error) {
        end(.failed(error))
    }

    /// Nothing more goes upstream: a waiting reader is told to stop, the HTTP client's
    /// read ends with `Abandoned`. Safe to call more than once, and after the end.
    func abandon() {
        let (sender, receiver) = state.withLockedValue { state in
            if case .open = state.phase { state.phase = .abandoned }
            state.pending = nil
            defer { (state.sender, state.receiver) = (nil, nil) }
            return (state.sender, state.receiver)
        }
        sender?.resume(returning: false)
        receiver?.resume(throwing: Abandoned())
    }

    private func end(_ phase: Phase) {
        let receiver: CheckedContinuation<ByteBuffer?, any Error>? = state.withLockedValue { state in
            guard case .open = state.phase else { return nil }
            state.phase = phase
            defer { state.receiver = nil }
            return state.receiver
        }
        switch phase {
        case .failed(let error): receiver?.resume(throwing: error)
        default: receiver?.resume(returning: nil)
        }
    }

    /// The HTTP client's side: the next chunk, nil at the end of the body.
    private func next() async throws -> ByteBuffer? {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ByteBuffer?, any Error>) in
            enum Answer { case chunk(ByteBuffer, CheckedContinuation<Bool, Never>?), end, error(any Error), wait }
            let answer: Answer = state.withLockedValue { state in
                if let chunk = state.pending {
                    state.pending = nil
                    defer { state.sender = nil }
                    return .chunk(chunk, state.sender)
                }
                switch state.phase {
                case .open:
                    assert(state.receiver == nil, "one HTTP client reads at a time")
                    state.receiver = continuation
                    return .wait
                case .finished: return .end
                case .failed(let error): return .error(error)
                case .abandoned: return .error(Abandoned())
                }
            }
            switch answer {
            case .chunk(let chunk, let sender):
                sender?.resume(returning: true)
                continuation.resume(returning: chunk)
            case .end: continuation.resume(returning: nil)
            case .error(let error): continuation.resume(throwing: error)
            case .wait: break
            }
        }
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let relay: BodyRelay
        mutating func next() async throws -> ByteBuffer? { try await relay.next() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(relay: self) }
}
