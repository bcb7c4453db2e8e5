@testable import Gateway
import NIOCore
import Testing

/// The handoff between the one reader of a request body and the HTTP client.
@Suite(.timeLimit(.minutes(1))) struct BodyRelayTests {
    @Test func chunksArriveInOrderThenTheEnd() async throws {
        let relay = BodyRelay()
        let reader = Task {
            for text in ["a", "bc", "def"] { #expect(await relay.send(ByteBuffer(string: text))) }
            relay.finish()
        }
        var received: [String] = []
        for try await chunk in relay { received.append(String(buffer: chunk)) }
        await reader.value
        #expect(received == ["a", "bc", "def"])
    }

    /// The upstream answered: a reader waiting for its chunk to be taken is told to stop,
    /// and the HTTP client's next read ends with an error instead of waiting forever.
    @Test func abandoningFreesBothSides() async throws {
        let relay = BodyRelay()
        let sender = Task { await relay.send(ByteBuffer(string: "never taken")) }
        try await Task.sleep(for: .milliseconds(20))
        relay.abandon()
        #expect(await sender.value == false)
        #expect(await relay.send(ByteBuffer(string: "later")) == false)
        var iterator = relay.makeAsyncIterator()
        await #expect(throws: BodyRelay.Abandoned.self) { _ = try await iterator.next() }

        let waiting = BodyRelay()
        let receiver = Task {
            var iterator = waiting.makeAsyncIterator()
            return try await iterator.next()
        }
        try await Task.sleep(for: .milliseconds(20))
        waiting.abandon()
        await #expect(throws: BodyRelay.Abandoned.self) { _ = try await receiver.value }
    }

    /// The client's connection was cut: the HTTP client sees the failure, and it is
    /// told apart from the upstream's own failures.
    @Test func aFailedBodyFailsTheClientsRead() async throws {
        struct Cut: Error {}
        let relay = BodyRelay()
        relay.fail(Cut())
        relay.abandon()
        #expect(relay.readerFailed)
        var iterator = relay.makeAsyncIterator()
        await #expect(throws: Cut.self) { _ = try await iterator.next() }
    }
}
