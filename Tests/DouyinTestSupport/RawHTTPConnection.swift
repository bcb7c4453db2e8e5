import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP connection that speaks HTTP/1.1 by hand, for hostile-input tests: a test
/// decides what goes in which segment, how slowly, and when the connection is cut.
///
/// Used inside `RawHTTPConnection.open`, which closes it when the body returns.
public final class RawHTTPConnection: Sendable {
    /// One answer as it came off the wire.
    public struct Answer: Sendable {
        public var status: Int
        /// Header names lowercased.
        public var headers: [(String, String)]
        public var body: [UInt8]

        public func header(_ name: String) -> String? { headers.first { $0.0 == name }?.1 }
        public var json: [String: any Sendable] {
            (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: any Sendable] ?? [:]
        }
        /// A failure as the contract requires: JSON envelope with a code and a message, no 5xx.
        public var isCleanFailure: Bool {
            status >= 400 && status < 500 && header("content-type") == "application/json; charset=utf-8"
                && ((json["status_code"] as? Int) ?? 0) != 0 && !((json["status_msg"] as? String) ?? "").isEmpty
        }
    }

    public enum Failure: Error { case closedBeforeAnswer(received: String), timedOut(received: String), malformed(String) }

    private struct Inbox {
        var bytes: [UInt8] = []
        var closed = false
    }

    /// Collects what the server sends; the test reads it from the inbox.
    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let inbox: NIOLockedValueBox<Inbox>
        init(_ inbox: NIOLockedValueBox<Inbox>) { self.inbox = inbox }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            inbox.withLockedValue { $0.bytes += buffer.readableBytesView }
        }

        func channelInactive(context: ChannelHandlerContext) {
            inbox.withLockedValue { $0.closed = true }
        }

        /// The server closed its side (half-closure is allowed, so that a test may close its own first).
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .some(.inputClosed) = event as? ChannelEvent { inbox.withLockedValue { $0.closed = true } }
            context.fireUserInboundEventTriggered(event)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }

    private let channel: any Channel
    private let inbox: NIOLockedValueBox<Inbox>

    private init(channel: any Channel, inbox: NIOLockedValueBox<Inbox>) {
        self.channel = channel
        self.inbox = inbox
    }

    /// Connects to 127.0.0.1:`port`, runs `body`, and closes the connection (a cut, if
    /// `body` left a request half sent).
    public static func open<T>(port: Int, _ body: (RawHTTPConnection) async throws -> T) async throws -> T {
        let inbox = NIOLockedValueBox(Inbox())
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(inbox)) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let connection = RawHTTPConnection(channel: channel, inbox: inbox)
        defer { channel.close(promise: nil) }
        return try await body(connection)
    }

    /// Sends bytes as one write (one TCP segment for small writes, with Nagle off).
    public func send(_ bytes: some Sequence<UInt8>) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: Array(bytes)))
    }

    public func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    /// Closes the sending side only (a TCP half-close): "that is all", while still reading.
    public func finishSending() async throws {
        try await channel.close(mode: .output)
    }

    /// Sends `bytes` in pieces of `size`, pausing between them.
    public func trickle(_ bytes: [UInt8], pieces size: Int, pause: Duration = .milliseconds(5)) async throws {
        var start = 0
        while start < bytes.count {
            try await send(bytes[start..<min(start + size, bytes.count)])
            start += size
            try await Task.sleep(for: pause)
        }
    }

    /// The next answer (1xx answers included), or an error when the connection closes or
    /// `timeout` passes first.
    public func answer(within timeout: Duration = .seconds(10)) async throws -> Answer {
        let end = ContinuousClock.now + timeout
        while true {
            let (answer, closed, text) = try inbox.withLockedValue { inbox in
                (try Self.takeAnswer(from: &inbox.bytes), inbox.closed, String(decoding: inbox.bytes, as: UTF8.self))
            }
            if let answer { return answer }
            if closed { throw Failure.closedBeforeAnswer(received: text) }
            if ContinuousClock.now >= end { throw Failure.timedOut(received: text) }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Whether the server closed the connection within `timeout`, with nothing more to read.
    public func closedByServer(within timeout: Duration = .seconds(5)) async -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if inbox.withLockedValue({ $0.closed }) { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    /// Parses one whole answer off the front of what was received, if there is one.
    private static func takeAnswer(from received: inout [UInt8]) throws -> Answer? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let headEnd = received.firstRange(of: separator) else { return nil }
        let head = String(decoding: received[..<headEnd.lowerBound], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw Failure.malformed(head) }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let length = status < 200 ? 0 : headers.first { $0.0 == "content-length" }.flatMap { Int($0.1) } ?? 0
        guard received.count >= headEnd.upperBound + length else { return nil }
        let body = Array(received[headEnd.upperBound..<headEnd.upperBound + length])
        received.removeFirst(headEnd.upperBound + length)
        return Answer(status: status, headers: headers, body: body)
    }
}
