import DouyinNIO
import NIOCore
import NIOEmbedded
import Testing

@Suite struct FlushCoalescingHandlerTests {
    /// Three writes flushed in one turn leave together once the loop runs its queued tasks.
    @Test func flushesOfOneTurnLeaveTogether() throws {
        let channel = EmbeddedChannel(handler: FlushCoalescingHandler())
        var flushed = 0
        try channel.pipeline.syncOperations.addHandler(FlushCounter { flushed += 1 }, position: .first)
        for text in ["a", "b", "c"] {
            channel.writeAndFlush(ByteBuffer(string: text), promise: nil)
        }
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        #expect(flushed == 0)
        channel.embeddedEventLoop.run()
        #expect(flushed == 1)
        let written = try (0..<3).map { _ in try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) } }
        #expect(written == ["a", "b", "c"])
        // The next turn's flush is deferred again, not lost.
        channel.writeAndFlush(ByteBuffer(string: "d"), promise: nil)
        channel.embeddedEventLoop.run()
        #expect(flushed == 2)
        #expect(try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) } == "d")
        _ = try channel.finish()
    }
}

/// Counts the flushes that reach the socket side of the pipeline.
private final class FlushCounter: ChannelOutboundHandler {
    typealias OutboundIn = NIOAny
    let onFlush: () -> Void

    init(_ onFlush: @escaping () -> Void) { self.onFlush = onFlush }

    func flush(context: ChannelHandlerContext) {
        onFlush()
        context.flush()
    }
}
