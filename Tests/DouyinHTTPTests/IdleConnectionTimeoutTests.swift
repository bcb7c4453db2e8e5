import DouyinHTTP
import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

/// When a connection counts as idle: the client has sent nothing for the timeout,
/// and is not waiting for an answer.
struct IdleConnectionTimeoutTests {
    func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(handler: IdleConnectionTimeout(after: .seconds(5)))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    let head = HTTPRequestPart.head(HTTPRequest(method: .get, scheme: nil, authority: "x", path: "/"))

    @Test func aConnectionThatSendsNothingIsClosed() throws {
        let channel = try channel()
        channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
    }

    @Test func aRequestWaitingForItsAnswerKeepsItsConnectionThenIdlenessCountsFromTheAnswer() throws {
        let channel = try channel()
        try channel.writeInbound(head)
        try channel.writeInbound(HTTPRequestPart.end(nil))
        channel.embeddedEventLoop.advanceTime(by: .seconds(30))
        #expect(channel.isActive)
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(6))
        #expect(!channel.isActive)
    }

    @Test func aRequestWhoseBodyStopsComingIsClosed() throws {
        let channel = try channel()
        try channel.writeInbound(head)
        for _ in 0..<3 {
            channel.embeddedEventLoop.advanceTime(by: .seconds(4))
            try channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: "a")))
        }
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(6))
        #expect(!channel.isActive)
    }
}
