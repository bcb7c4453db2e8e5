import DouyinTestSupport
import Foundation
import Testing

extension EndToEnd {
    /// Requests outside the usual shapes: WebSocket upgrades with bad tokens, bodies
    /// where none belong, methods nobody routes.
    @Suite struct HostileRequestTests {
        static func upgrade(_ target: String, extra: String = "") -> String {
            "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\(extra)\r\n"
        }

        /// API.md 8.2: a refused upgrade is a JSON error with a `Content-Length`, not an empty 400.
        @Test func socketUpgradesWithBadTokensGetTheJSONError() async throws {
            try await Stack.with { stack in
                let user = try await stack.api.register("socketeer")
                var tampered = Array(user.token)
                tampered[tampered.count / 2] = tampered[tampered.count / 2] == "A" ? "B" : "A"
                let path = "/douyin/message/ws/"
                let refused = [
                    Self.upgrade(path),
                    Self.upgrade("\(path)?token=garbage"),
                    Self.upgrade("\(path)?token=\(String(tampered))"),
                    Self.upgrade(path, extra: "Authorization: Bearer garbage\r\n"),
                    Self.upgrade(path, extra: "Authorization: Basic \(user.token)\r\n"),
                ]
                for request in refused {
                    let answer = try await RawHTTPConnection.open(port: stack.gatewayPort) { connection in
                        try await connection.send(request)
                        return try await connection.answer()
                    }
                    #expect(answer.status == 401 && answer.isCleanFailure, "\(answer.status) for \(request.prefix(60))")
                    #expect(answer.header("content-length") == String(answer.body.count))
                }
                // An upgrade asked of a path that has no socket is served as plain HTTP.
                let feed = try await RawHTTPConnection.open(port: stack.gatewayPort) { connection in
                    try await connection.send(Self.upgrade("/douyin/feed/"))
                    return try await connection.answer()
                }
                #expect(feed.status == 200 && feed.json["status_code"] as? Int == 0)
                // A valid token still upgrades.
                let accepted = try await RawHTTPConnection.open(port: stack.gatewayPort) { connection in
                    try await connection.send(Self.upgrade("\(path)?token=\(user.token)"))
                    return try await connection.answer()
                }
                #expect(accepted.status == 101)
                #expect(stack.exitedProcesses().isEmpty)
            }
        }

        /// A GET carries no body to parse; health is GET only (API.md 1: 405).
        @Test func bodiesAndMethodsWhereNoneBelong() async throws {
            try await Stack.with { stack in
                let media = try await stack.api.get("/media/v/nothing.mp4", headers: [("Content-Type", "multipart/form-data")])
                #expect(media.status == 404 && media.isCleanFailure, "\(media.status) \(media.text)")
                for path in ["/healthz", "/douyin/openapi.yaml"] {
                    for method in ["TRACE", "POST", "DELETE", "PURGE"] {
                        let reply = try await stack.api.send(.RAW(value: method), path, timeout: .seconds(5))
                        #expect(reply.status == 405 && reply.isCleanFailure, "\(method) \(path): \(reply.status)")
                        #expect(reply.headers.first(name: "allow") == "GET", "\(method) \(path)")
                    }
                }
                #expect(stack.exitedProcesses().isEmpty)
            }
        }

        /// CONNECT asks for a tunnel, which the gateway never opens: 405 with the JSON envelope
        /// and the connection closed, not a bodiless head on a connection left hanging. A
        /// request sent before it on the same connection is answered first.
        @Test func connectGetsTheJSONErrorAndTheConnectionEnds() async throws {
            try await Stack.with { stack in
                for target in ["example.com:443", "/douyin/feed/", "127.0.0.1:\(stack.gatewayPort)"] {
                    let (earlier, refusal, closed) = try await RawHTTPConnection.open(port: stack.gatewayPort) { connection in
                        try await connection.send(
                            "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nCONNECT \(target) HTTP/1.1\r\nHost: \(target)\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                        )
                        return (try await connection.answer(), try await connection.answer(within: .seconds(5)), await connection.closedByServer())
                    }
                    #expect(earlier.status == 200, "\(target)")
                    #expect(refusal.status == 405 && refusal.isCleanFailure, "\(target): \(refusal.status) \(String(decoding: refusal.body, as: UTF8.self))")
                    #expect(refusal.header("connection") == "close", "\(target)")
                    #expect(closed, "\(target)")
                }
                #expect(stack.exitedProcesses().isEmpty)
            }
        }

        /// Connections that send nothing, or stop part way through a request, are closed after
        /// the idle timeout (1 s here); busy ones and live chat sockets are not.
        @Test func idleAndStalledConnectionsAreClosedBusyOnesAreNot() async throws {
            try await Stack.with(environment: ["DOUYIN_IDLE_TIMEOUT_SECONDS": "1"]) { stack in
                let port = stack.gatewayPort
                let stalled = [
                    "",  // nothing at all
                    "GET /healthz HTTP/1.1\r\nHo",  // a head that stops
                    "POST /douyin/user/login/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 40\r\n\r\nusername=",
                    "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHo",  // a second request that stops
                ]
                for bytes in stalled {
                    let closed = try await RawHTTPConnection.open(port: port) { connection in
                        if !bytes.isEmpty { try await connection.send(bytes) }
                        return await connection.closedByServer(within: .seconds(4))
                    }
                    #expect(closed, "\(bytes.prefix(30))")
                }

                // Requests every 300 ms for three times the timeout keep a connection open, whichever handler answers them.
                let account = try await stack.api.register("idle")
                try await RawHTTPConnection.open(port: port) { connection in
                    for round in 0..<10 {
                        let path = round.isMultiple(of: 2) ? "/healthz" : "/douyin/user/?user_id=\(account.id)&token=\(account.token)"
                        try await connection.send("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
                        #expect(try await connection.answer().status == 200, "round \(round)")
                        try await Task.sleep(for: .milliseconds(300))
                    }
                    #expect(await connection.closedByServer(within: .seconds(4)), "closed once idle")
                }

                // A chat socket lives on its pings, not on HTTP's idle timeout.
                let peer = try await stack.api.register("idlepeer")
                let socket = try await TestSocket.open(
                    stack.gatewayURL.replacingOccurrences(of: "http://", with: "ws://") + "/douyin/message/ws/?token=" + account.token
                )
                try await Task.sleep(for: .milliseconds(2500))
                socket.send(#"{"to_user_id": \#(peer.id), "content": "still here"}"#)
                let ack = (await socket.next(within: .seconds(2))).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: any Sendable] }
                #expect(ack?["status_code"] as? Int == 0)
                await socket.close()
                #expect(stack.exitedProcesses().isEmpty)
            }
        }

        /// Framing broken part way through a body is the client's fault: 400 JSON, not a 5xx.
        @Test func bodiesThatBreakHTTPFramingAreClientErrors() async throws {
            try await Stack.with { stack in
                let shapes = [
                    "POST /douyin/user/login/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
                    "POST /douyin/user/register/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcdefgh\r\n0\r\n\r\n",
                    "GET /douyin/feed/ HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde",
                ]
                for shape in shapes {
                    let answer = try await RawHTTPConnection.open(port: stack.gatewayPort) { connection in
                        try await connection.send(shape)
                        return try await connection.answer()
                    }
                    #expect(answer.status == 400 && answer.isCleanFailure, "\(answer.status) for \(shape.prefix(40))")
                }
                #expect(stack.exitedProcesses().isEmpty)
            }
        }

        /// Form bodies as ordinary clients and attackers send them: head and body in separate
        /// segments, trickled, or cut before the end. Whole ones count once; a cut one never.
        @Test func formBodiesInPiecesCountOnceAndCutOnesNever() async throws {
            try await Stack.with { stack in
                let (ann, bo) = (try await stack.api.register("piecemeal"), try await stack.api.register("listener"))
                func post(_ content: String) -> (head: String, body: [UInt8]) {
                    let body = Array("token=\(ann.token)&to_user_id=\(bo.idString)&action_type=1&content=\(content)".utf8)
                    let head = "POST /douyin/message/action/ HTTP/1.1\r\nHost: x\r\n"
                        + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.count)\r\n\r\n"
                    return (head, body)
                }
                let split = post("split")
                let whole = try await RawHTTPConnection.open(port: stack.gatewayPort) { connection in
                    try await connection.send(split.head)
                    try await Task.sleep(for: .milliseconds(30))
                    try await connection.trickle(split.body, pieces: 7, pause: .milliseconds(3))
                    return try await connection.answer()
                }
                #expect(whole.status == 200 && whole.json["status_code"] as? Int == 0, "\(whole.status)")

                let cut = post("cut")
                try await RawHTTPConnection.open(port: stack.gatewayPort) { connection in
                    try await connection.send(cut.head)
                    try await connection.send(cut.body.prefix(cut.body.count - 3))
                    try await Task.sleep(for: .milliseconds(50))
                }
                try await Task.sleep(for: .milliseconds(200))
                let chat = try await stack.api.get("/douyin/message/chat/", [("to_user_id", bo.idString), ("token", ann.token)])
                let contents = (chat.json["message_list"] as? [[String: any Sendable]] ?? []).compactMap { $0["content"] as? String }
                #expect(contents == ["split"], "\(contents)")
                #expect(stack.exitedProcesses().isEmpty)
            }
        }

        /// Requests pipelined in one segment, some answered by the gateway's forwarding and
        /// some by its router, are answered in the order they were sent.
        @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
            try await Stack.with { stack in
                let user = try await stack.api.register("pipeliner")
                let requests = [
                    "/douyin/feed/", "/media/v/none.mp4", "/douyin/user/?user_id=\(user.idString)&token=\(user.token)", "/nowhere",
                    "/douyin/user/?user_id=\(user.idString)",
                ]
                let answers = try await RawHTTPConnection.open(port: stack.gatewayPort) { connection in
                    try await connection.send(requests.map { "GET \($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined())
                    var answers: [RawHTTPConnection.Answer] = []
                    for _ in requests { answers.append(try await connection.answer()) }
                    return answers
                }
                #expect(answers.map(\.status) == [200, 404, 200, 404, 401])
                #expect(answers[0].json["video_list"] != nil)
                #expect((answers[2].json["user"] as? [String: any Sendable])?["name"] as? String == "pipeliner")
                #expect(answers.allSatisfy { $0.header("x-request-id") != nil })
                #expect(stack.exitedProcesses().isEmpty)
            }
        }

        /// Client developers can point a generator or a viewer at a running stack.
        @Test func theGatewayServesTheAPIDescription() async throws {
            try await Stack.with { stack in
                let reply = try await stack.api.get("/douyin/openapi.yaml")
                #expect(reply.status == 200)
                #expect(reply.headers.first(name: "content-type") == "application/yaml; charset=utf-8")
                #expect(reply.text.hasPrefix("openapi: 3.1"))
                let wrongMethod = try await stack.api.post("/douyin/openapi.yaml")
                #expect(wrongMethod.status == 405 && wrongMethod.isCleanFailure)
            }
        }
    }
}
