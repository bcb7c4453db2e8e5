import AsyncHTTPClient
import DouyinCrypto
import DouyinHTTP
import DouyinIdentity
import DouyinModels
import DouyinRPC
import DouyinTestSupport
import HTTPTypes
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOPosix
import Testing
@testable import Gateway

/// The gateway's in-pipeline forwarding on a real socket: the handler in front of a
/// stand-in for the router, the services replaced by a recorder, requests written by hand.
@Suite struct APIForwardingHandlerTests {
    /// What the stand-in services received, in order.
    let forwarded = NIOLockedValueBox<[ForwardedHTTP.Request]>([])

    /// Stands in for Hummingbird's router: answers what the handler passes on with
    /// `router <path>`, late (so an answer written out of order would overtake it). Like
    /// the router's async channel, it sees parts only when a read completes.
    final class RouterStandIn: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPRequestPart
        typealias OutboundOut = HTTPResponsePart
        private var path = ""
        private var unread: [HTTPRequestPart] = []

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            unread.append(unwrapInboundIn(data))
        }

        /// Like the router's channel: the client has said all it will, so the connection ends.
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .some(.inputClosed) = event as? ChannelEvent { context.close(promise: nil) }
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            let parts = unread
            unread = []
            for part in parts { handle(part, context: context) }
        }

        private func handle(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
            switch part {
            case .head(let head): path = head.path ?? ""
            case .body: break
            case .end:
                let body = ByteBuffer(string: "router \(path)")
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .milliseconds(50)) {
                    let context = bound.value
                    context.write(NIOAny(HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: [.contentLength: String(body.readableBytes)]))), promise: nil)
                    context.write(NIOAny(HTTPResponsePart.body(body)), promise: nil)
                    context.writeAndFlush(NIOAny(HTTPResponsePart.end(nil)), promise: nil)
                }
            }
        }
    }

    func forwarder() -> APIForwarder {
        let forwarded = self.forwarded
        let keys = AuthKeys(logger: Logger(label: "test")) { [] }
        return APIForwarder(
            authenticator: GatewayAuthenticator(keys: keys),
            proxy: UpstreamProxy(
                client: HTTPClient.shared, services: [:], internalSecret: "secret", streamingTimeout: .seconds(5),
                send: { _, request, _ in
                    forwarded.withLockedValue { $0.append(request) }
                    // A service takes a moment: the answer comes after whatever the client does next.
                    try await Task.sleep(for: .milliseconds(20))
                    return ForwardedHTTP.Response(
                        status: .ok, headerFields: [.contentType: "text/plain", .connection: "close"],
                        body: ByteBuffer(string: "service \(request.path) \(String(buffer: request.body))")
                    )
                }
            ),
            admission: Admission(limiter: nil, maxInFlight: 100), clientAddress: .behindGateway, timeout: .seconds(5),
            accessLog: .disabled, spans: nil, metrics: HTTPServerMetrics(), answers: nil, logger: Logger(label: "test")
        )
    }

    /// Serves on a free loopback port while `body` runs.
    func withServer(_ body: (Int) async throws -> Void) async throws {
        let forwarder = forwarder()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
                    try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                    try pipeline.addHandler(APIForwardingHandler(forwarder: forwarder))
                    try pipeline.addHandler(RouterStandIn())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        do {
            try await body(server.localAddress!.port!)
        } catch {
            try? await server.close()
            throw error
        }
        try await server.close()
    }

    static func get(_ target: String, extra: String = "") -> String {
        "GET \(target) HTTP/1.1\r\nHost: x\r\n\(extra)\r\n"
    }

    @Test func pipelinedRequestsAreAnsweredInTheOrderTheyCame() async throws {
        try await withServer { port in
            try await RawHTTPConnection.open(port: port) { connection in
                // The router answers late, the services at once: order must still hold.
                try await connection.send(
                    Self.get("/elsewhere/1") + Self.get("/douyin/feed/?a=1") + Self.get("/elsewhere/2") + Self.get("/douyin/feed/?a=2")
                        + Self.get("/elsewhere/3")
                )
                var bodies: [String] = []
                for _ in 0..<5 { bodies.append(String(decoding: try await connection.answer().body, as: UTF8.self)) }
                #expect(bodies == [
                    "router /elsewhere/1", "service /douyin/feed/?a=1 ", "router /elsewhere/2", "service /douyin/feed/?a=2 ",
                    "router /elsewhere/3",
                ])
            }
        }
    }

    @Test func aBodyInSeparateSegmentsIsForwardedWhole() async throws {
        try await withServer { port in
            let form = Array("video_id=1&action_type=1&token=t".utf8)
            let answer = try await RawHTTPConnection.open(port: port) { connection in
                try await connection.send(
                    "POST /douyin/favorite/action/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                        + "Content-Length: \(form.count)\r\n\r\n"
                )
                try await Task.sleep(for: .milliseconds(20))
                try await connection.trickle(form, pieces: 5)
                return try await connection.answer()
            }
            #expect(String(decoding: answer.body, as: UTF8.self) == "service /douyin/favorite/action/ video_id=1&action_type=1&token=t")
            // The service's own connection header is its business: this hop says nothing of closing.
            #expect(answer.header("connection") == nil)
            #expect(answer.header("date") != nil && answer.header("x-request-id") != nil)
        }
    }

    @Test func aConnectionCutMidBodyForwardsNothing() async throws {
        try await withServer { port in
            try await RawHTTPConnection.open(port: port) { connection in
                try await connection.send(
                    "POST /douyin/favorite/action/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                        + "Content-Length: 40\r\n\r\nvideo_id=1&action"
                )
                try await Task.sleep(for: .milliseconds(50))
            }
            try await Task.sleep(for: .milliseconds(100))
            #expect(forwarded.withLockedValue { $0.isEmpty })
        }
    }

    @Test func whatTheHandlerDoesNotServeGoesToTheRouter() async throws {
        let large = String(repeating: "a", count: APIForwarder.maxBody + 1)
        let cases = [
            // An upload, media, an unknown path, a body too large for a form, a chunked body.
            "POST /douyin/publish/action/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
            Self.get("/media/v/1.mp4"),
            Self.get("/nowhere"),
            "POST /douyin/favorite/action/ HTTP/1.1\r\nHost: x\r\nContent-Length: \(large.utf8.count)\r\n\r\n\(large)",
            "POST /douyin/favorite/action/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n",
        ]
        try await withServer { port in
            for request in cases {
                let answer = try await RawHTTPConnection.open(port: port) { connection in
                    try await connection.send(request)
                    return try await connection.answer()
                }
                #expect(String(decoding: answer.body, as: UTF8.self).hasPrefix("router "), "\(request.prefix(40))")
            }
        }
        #expect(forwarded.withLockedValue { $0.isEmpty })
    }

    /// A client that closes its sending side after its requests still gets every answer.
    @Test func requestsSentBeforeAHalfCloseAreAnswered() async throws {
        try await withServer { port in
            try await RawHTTPConnection.open(port: port) { connection in
                try await connection.send(Self.get("/douyin/feed/?a=1") + Self.get("/douyin/feed/?a=2"))
                try await connection.finishSending()
                let bodies = [try await connection.answer(), try await connection.answer()].map { String(decoding: $0.body, as: UTF8.self) }
                #expect(bodies == ["service /douyin/feed/?a=1 ", "service /douyin/feed/?a=2 "])
                #expect(await connection.closedByServer())
            }
        }
    }

    /// Bytes that break HTTP after a whole request do not cost that request its answer.
    @Test func garbageAfterARequestComesAfterItsAnswer() async throws {
        try await withServer { port in
            let answer = try await RawHTTPConnection.open(port: port) { connection in
                try await connection.send(Self.get("/douyin/feed/?a=1") + "\u{1}\u{2} not http\r\n\r\n")
                return try await connection.answer()
            }
            #expect(String(decoding: answer.body, as: UTF8.self) == "service /douyin/feed/?a=1 ")
        }
    }

    @Test func aClientThatAsksToCloseIsAnsweredThenClosed() async throws {
        try await withServer { port in
            try await RawHTTPConnection.open(port: port) { connection in
                try await connection.send(Self.get("/douyin/feed/", extra: "Connection: close\r\n") + Self.get("/douyin/feed/?late=1"))
                let answer = try await connection.answer()
                #expect(answer.status == 200 && answer.header("connection") == "close")
                #expect(await connection.closedByServer())
            }
        }
        #expect(forwarded.withLockedValue { $0.map(\.path) } == ["/douyin/feed/"])
    }

    @Test func refusalsAreTheContractsErrorsAndForwardNothing() async throws {
        try await withServer { port in
            let answer = try await RawHTTPConnection.open(port: port) { connection in
                try await connection.send(Self.get("/douyin/user/?user_id=1&token=not-a-token"))
                return try await connection.answer()
            }
            #expect(answer.status == 401 && answer.isCleanFailure)
            #expect((answer.json["status_code"] as? Int).map(Int64.init) == Int64(ErrorCode.tokenInvalid.rawValue))
        }
        #expect(forwarded.withLockedValue { $0.isEmpty })
    }

    /// Requests answered here are counted under the router's route labels, so dashboards see one series.
    @Test func metricsNameRoutesAsTheRouterDoes() {
        #expect(APIForwarder.metricRoutes["/douyin/user/"] == "/douyin/user")
        #expect(APIForwarder.metricRoutes.count == Set(Endpoint.all.map(\.path)).count)
    }
}
