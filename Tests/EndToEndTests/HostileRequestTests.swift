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
