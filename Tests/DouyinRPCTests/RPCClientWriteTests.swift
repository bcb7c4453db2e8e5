@testable import DouyinRPC
import NIOCore
import NIOEmbedded
import Testing

@Suite struct RPCClientWriteTests {
    /// The connection closes between the client's liveness check and its write: the
    /// handler that would answer is gone, and the call must fail rather than wait forever.
    @Test(.timeLimit(.minutes(1))) func aCallOnAConnectionThatJustClosedFails() async throws {
        let channel = await NIOAsyncTestingChannel(handler: RPCClientHandler())
        try await channel.close()
        let frame = RPCFrame(kind: .request, method: "test.echo", traceparent: "", requestID: "", payload: ByteBuffer())
        let reply = RPCClient.exchange(frame, timeout: .seconds(5), on: channel)
        await #expect(throws: RPCTransportError.connectionClosed) { try await reply.get() }
    }

    /// A call the handler took is answered by the handler alone, also when the connection then closes.
    @Test(.timeLimit(.minutes(1))) func aCallInFlightFailsOnceWhenItsConnectionCloses() async throws {
        let channel = await NIOAsyncTestingChannel(handler: RPCClientHandler())
        try await channel.connect(to: .init(ipAddress: "127.0.0.1", port: 1))
        let frame = RPCFrame(kind: .request, method: "test.echo", traceparent: "", requestID: "", payload: ByteBuffer())
        let reply = RPCClient.exchange(frame, timeout: .seconds(5), on: channel)
        _ = try await channel.readOutbound(as: RPCFrame.self)
        try await channel.close()
        await #expect(throws: RPCTransportError.connectionClosed) { try await reply.get() }
    }
}
