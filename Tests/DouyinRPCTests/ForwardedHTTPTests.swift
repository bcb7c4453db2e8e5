import DouyinDiscovery
import DouyinHTTP
import DouyinIdentity
import DouyinModels
import DouyinObservability
import DouyinRPC
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Testing

@Suite struct ForwardedHTTPTests {
    @Test func messagesRoundTrip() throws {
        var fields = HTTPFields()
        fields[.contentType] = "application/x-www-form-urlencoded"
        fields[HTTPField.Name("x-note")!] = "naïve ✓"
        fields.append(HTTPField(name: HTTPField.Name("x-note")!, value: "second"))
        let request = ForwardedHTTP.Request(method: .post, path: "/douyin/user/?a=%E2%9C%93", headerFields: fields, body: ByteBuffer(string: "b=2"))
        var buffer = ByteBuffer()
        request.write(to: &buffer)
        #expect(try ForwardedHTTP.Request(reading: &buffer) == request)

        let response = ForwardedHTTP.Response(status: .notFound, headerFields: fields, body: ByteBuffer())
        buffer.clear()
        response.write(to: &buffer)
        #expect(try ForwardedHTTP.Response(reading: &buffer) == response)
    }

    @Test func truncatedMessagesAreRefused() throws {
        let request = ForwardedHTTP.Request(method: .get, path: "/x", headerFields: [.contentType: "a/b"], body: ByteBuffer())
        var whole = ByteBuffer()
        request.write(to: &whole)
        for length in 0..<whole.readableBytes {
            var cut = whole.getSlice(at: 0, length: length)!
            #expect(throws: DouyinError.self) { try ForwardedHTTP.Request(reading: &cut) }
        }
        var badStatus = ByteBuffer(bytes: [0, 42, 0, 0])
        #expect(throws: DouyinError.self) { try ForwardedHTTP.Response(reading: &badStatus) }
    }

    /// A router served over RPC answers as it would over HTTP: middleware, parameters
    /// from query and form body, the internal identity header, JSON errors.
    @Test func aRouterAnswersOverRPC() async throws {
        let router = Router(context: DouyinRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: ParameterMiddleware(identity: IdentityResolver(keys: nil, internalSecret: "s3cret")))
        router.post("/douyin/user/") { _, context in
            APIResponse(["a": context.params["a"] ?? "", "b": context.params["b"] ?? "", "user": String(try context.requireUser())])
        }
        let server = RPCServer(logger: .init(label: "test"))
        server.serveForwardedHTTP(router.buildResponder(), logger: .init(label: "test"))
        let port = try await server.bind(host: "127.0.0.1", port: 0)
        let instance = ServiceInstance(id: "u", service: .user, host: "127.0.0.1", httpPort: 0, rpcPort: port, version: "t", startedAt: 0)
        let client = RPCClient(service: .user, balancer: LoadBalancer(service: .user) { [instance] })

        func forward(_ method: HTTPRequest.Method, _ path: String, _ fields: HTTPFields, body: String = "") async throws -> ForwardedHTTP.Response {
            var payload = ByteBuffer()
            ForwardedHTTP.Request(method: method, path: path, headerFields: fields, body: ByteBuffer(string: body)).write(to: &payload)
            var reply = try await client.call(name: ForwardedHTTP.method, payload: payload, isIdempotent: false)
            return try ForwardedHTTP.Response(reading: &reply)
        }
        func json(_ response: ForwardedHTTP.Response) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] ?? [:]
        }

        var fields: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        fields[HTTPField.Name(InternalHeader.userID)!] = "42"
        fields[HTTPField.Name(InternalHeader.secret)!] = "s3cret"
        let answered = try await forward(.post, "/douyin/user/?a=%E2%9C%93", fields, body: "b=form")
        #expect(answered.status == .ok)
        #expect(answered.headerFields[.contentType] == "application/json; charset=utf-8")
        let body = try json(answered)
        #expect(body["a"] as? String == "✓" && body["b"] as? String == "form" && body["user"] as? String == "42")

        let unknown = try await forward(.get, "/nope", [:])
        #expect(unknown.status == .notFound)
        #expect(try json(unknown)["status_code"] as? Int == Int(ErrorCode.routeNotFound.rawValue))

        await #expect(throws: DouyinError.self) {
            _ = try await client.call(name: ForwardedHTTP.method, payload: ByteBuffer(bytes: [0, 9]), isIdempotent: false)
        }
        await client.shutdown()
        await server.close()
    }

    /// A forwarded request continues the gateway's deadline: the service's own
    /// request timeout is longer, but what the handler (and its callees) get is the rest
    /// of the caller's time (DESIGN.md 3).
    @Test func aForwardedRequestKeepsItsCallersDeadline() async throws {
        let router = Router(context: DouyinRequestContext.self)
        router.add(middleware: RequestScopeMiddleware(timeout: .seconds(30), accessLog: .disabled))
        router.get("/douyin/feed/") { _, _ in
            APIResponse(["remaining": String(RPCCallContext.current?.remainingMilliseconds() ?? 0)])
        }
        let server = RPCServer(logger: .init(label: "test"))
        server.serveForwardedHTTP(router.buildResponder(), logger: .init(label: "test"))
        let port = try await server.bind(host: "127.0.0.1", port: 0)
        let instance = ServiceInstance(id: "v", service: .video, host: "127.0.0.1", httpPort: 0, rpcPort: port, version: "t", startedAt: 0)
        let client = RPCClient(service: .video, balancer: LoadBalancer(service: .video) { [instance] })

        var payload = ByteBuffer()
        ForwardedHTTP.Request(method: .get, path: "/douyin/feed/", headerFields: [:], body: ByteBuffer()).write(to: &payload)
        // Connected first: under a full suite's load a fresh connect can outlast a short deadline.
        _ = try await client.call(name: ForwardedHTTP.method, payload: payload, isIdempotent: true)
        var reply = try await RPCCallContext.$current.withValue(RPCCallContext(deadline: .now + .seconds(3))) {
            try await client.call(name: ForwardedHTTP.method, payload: payload, isIdempotent: true)
        }
        let answer = try ForwardedHTTP.Response(reading: &reply)
        let body = try JSONSerialization.jsonObject(with: Data(buffer: answer.body)) as? [String: Any]
        let remaining = try #require((body?["remaining"] as? String).flatMap { Int($0) })
        #expect(remaining > 0 && remaining <= 3000, "the handler had \(remaining) ms of the caller's 3,000")
        await client.shutdown()
        await server.close()
    }
}
