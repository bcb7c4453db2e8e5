import DouyinHTTP
import DouyinModels
import DouyinObservability
import DouyinRPC
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Lets only an authenticated request for the chat socket reach the WebSocket
/// upgrade; every other upgrade request loses its upgrade headers and is served
/// as plain HTTP.
///
/// A refused upgrade is answered by the upgrade channel itself, with an empty
/// 400. API.md 8.2 wants the token failure as a JSON error (401, with a
/// `Content-Length`): served as plain HTTP, the request meets the gateway's
/// router, which answers it like any other request with a bad token.
///
/// Sits between the HTTP/1 decoder and the upgrade handler, and steps aside after
/// the first request: only a connection's first request can upgrade.
final class SocketUpgradeGate: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    /// Whether a socket may be opened for a request with this query and `Authorization`: its token is valid.
    typealias Admission = @Sendable (_ query: String?, _ authorization: String?) async -> Bool

    private let admits: Admission
    /// Parts that arrived while the first head was being checked.
    private var held: [HTTPServerRequestPart] = []
    private var checking = false
    private var readPending = false
    /// Out of the pipeline (the connection closed while the head was checked): nothing more to pass.
    private var removed = false

    init(admits: @escaping Admission) {
        self.admits = admits
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        guard !checking else { return held.append(part) }
        guard case .head(let head) = part, head.headers.contains(name: "upgrade") else {
            return passFirst(part, context: context)
        }
        let target = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard target[0] == SocketProxy.endpoint.path else {
            return passFirst(.head(Self.withoutUpgrade(head)), context: context)
        }
        checking = true
        let loop = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let (admits, query, authorization) = (self.admits, target.dropFirst().first.map(String.init), head.headers.first(name: "authorization"))
        context.eventLoop.makeFutureWithTask { await admits(query, authorization) }.whenComplete { result in
            let (gate, context) = loop.value
            guard !gate.removed else { return }
            let admitted = (try? result.get()) ?? false
            gate.checking = false
            let held = gate.held
            gate.held = []
            gate.passFirst(.head(admitted ? head : Self.withoutUpgrade(head)), then: held, context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        removed = true
    }

    /// No more reads while the first head is checked: what the client sends waits in the socket.
    func read(context: ChannelHandlerContext) {
        if checking { readPending = true } else { context.read() }
    }

    /// Passes the connection's first request on, and steps aside. A read held back while
    /// checking is asked for before: once removed, this handler can no longer ask.
    private func passFirst(_ part: HTTPServerRequestPart, then held: [HTTPServerRequestPart] = [], context: ChannelHandlerContext) {
        context.fireChannelRead(wrapInboundOut(part))
        for part in held { context.fireChannelRead(wrapInboundOut(part)) }
        if readPending {
            readPending = false
            context.read()
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// The head as a plain request: no `Upgrade`, and no `upgrade` token in `Connection`.
    static func withoutUpgrade(_ head: HTTPRequestHead) -> HTTPRequestHead {
        var head = head
        head.headers.remove(name: "upgrade")
        let connection = head.headers[canonicalForm: "connection"].filter { $0.lowercased() != "upgrade" }
        head.headers.remove(name: "connection")
        for token in connection { head.headers.add(name: "connection", value: String(token)) }
        return head
    }
}

/// Sets up a connection like `base`, with a `SocketUpgradeGate` in front of its upgrade handler.
struct UpgradeGated<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let admits: SocketUpgradeGate.Admission

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { [admits] value in
            let decoder = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try channel.pipeline.syncOperations.addHandler(SocketUpgradeGate(admits: admits), position: .after(decoder))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
