import AsyncHTTPClient
import DouyinCrypto
import DouyinHTTP
import DouyinIdentity
import DouyinModels
import DouyinRPC
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Testing
@testable import Gateway

/// The gateway's routing and header rules, in memory: its routes in a router without
/// sockets, the services replaced by a recorder of what would be forwarded.
struct GatewayRoutingTests {
    static let signingKey = try! Ed25519PrivateKey()
    static let secret = "gateway-secret"
    let forwarded = NIOLockedValueBox<[(service: ServiceName, request: ForwardedHTTP.Request)]>([])

    func token(for user: UserID) throws -> String {
        try TokenSigner(kid: "k1", key: Self.signingKey).issue(subject: user, ttl: .seconds(60))
    }

    /// The gateway's routes over a recorder that answers every forwarded request with `answer`.
    func app(answer: ForwardedHTTP.Response = .init(status: .ok, headerFields: [:], body: ByteBuffer(string: #"{"status_code":0}"#)))
        -> some ApplicationProtocol
    {
        let keys = AuthKeys(logger: Logger(label: "test")) {
            [AuthRPC.PublicKey(kid: "k1", publicKey: Base64URL.encode(Self.signingKey.publicKey.rawRepresentation))]
        }
        let forwarded = self.forwarded
        let router = Router(context: DouyinRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        GatewayRoutes(
            authenticator: GatewayAuthenticator(keys: keys),
            proxy: UpstreamProxy(
                client: HTTPClient.shared, services: [:], internalSecret: Self.secret, streamingTimeout: .seconds(5),
                send: { service, request, _ in
                    forwarded.withLockedValue { $0.append((service, request)) }
                    return answer
                }
            )
        ).add(to: router)
        return Application(router: router)
    }

    var last: (service: ServiceName, request: ForwardedHTTP.Request)? { forwarded.withLockedValue { $0.last } }

    @Test func everyEndpointGoesToItsServiceWithPathAndQuery() async throws {
        let token = try token(for: 7)
        try await app().test(.router) { client in
            for endpoint in Endpoint.all where endpoint.body != .upload {
                let method: HTTPRequest.Method = endpoint.method == .get ? .get : .post
                try await client.execute(uri: "\(endpoint.path)?token=\(token)&x=1", method: method) { response in
                    #expect(response.status == .ok, "\(endpoint.path)")
                }
                #expect(last?.service == endpoint.service, "\(endpoint.path)")
                #expect(last?.request.path == "\(endpoint.path)?token=\(token)&x=1")
                #expect(last?.request.method == method)
            }
        }
    }

    @Test func internalHeadersComeFromTheGatewayAlone() async throws {
        let token = try token(for: 7)
        try await app().test(.router) { client in
            let spoofed: HTTPFields = [
                .douyinUserID: "1", .douyinSecret: "guess", .douyinClientAddress: "10.0.0.1",
                .connection: "keep-alive, x-custom", .te: "trailers", HTTPField.Name("Keep-Alive")!: "5",
                .authorization: "Bearer \(token)", .userAgent: "app/1.0",
            ]
            try await client.execute(uri: "/douyin/user/?user_id=7", method: .get, headers: spoofed) { _ in }
            let headers = try #require(last?.request.headerFields)
            #expect(headers[values: .douyinUserID] == ["7"], "the verified token's user, not the client's claim")
            #expect(headers[values: .douyinSecret] == [Self.secret])
            #expect(headers[values: .douyinClientAddress] != ["10.0.0.1"])
            #expect(headers[.connection] == nil && headers[.te] == nil && headers[HTTPField.Name("Keep-Alive")!] == nil)
            #expect(headers[.userAgent] == "app/1.0", "end-to-end headers pass")

            // Without a token nobody is vouched for, whatever the client claims.
            try await client.execute(uri: "/douyin/feed/", method: .get, headers: spoofed.filter { $0.name != .authorization }) { _ in }
            let anonymous = try #require(last?.request.headerFields)
            #expect(anonymous[.douyinUserID] == nil && anonymous[.douyinSecret] == nil)
        }
    }

    @Test func aTokenInAFormBodyIsLeftToTheService() async throws {
        try await app().test(.router) { client in
            try await client.execute(
                uri: "/douyin/favorite/action/", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .douyinUserID: "3"],
                body: ByteBuffer(string: "token=whatever&video_id=1&action_type=1")
            ) { _ in }
            let request = try #require(last?.request)
            #expect(request.headerFields[.douyinUserID] == nil, "unverified here, so not vouched for")
            #expect(String(buffer: request.body) == "token=whatever&video_id=1&action_type=1")
        }
    }

    @Test func refusedRequestsAreAnsweredHereAndForwardNothing() async throws {
        try await app().test(.router) { client in
            let cases: [(String, HTTPRequest.Method, HTTPResponse.Status, ErrorCode)] = [
                ("/douyin/user/?user_id=1", .get, .unauthorized, .tokenMissing),
                ("/douyin/user/?user_id=1&token=not-a-token", .get, .unauthorized, .tokenInvalid),
                ("/douyin/nowhere/", .get, .notFound, .routeNotFound),
                ("/douyin/feed/", .post, .methodNotAllowed, .methodNotAllowed),
            ]
            for (uri, method, status, code) in cases {
                try await client.execute(uri: uri, method: method) { response in
                    #expect(response.status == status, "\(uri)")
                    let envelope = try JSONDecoder().decode(StatusEnvelope.self, from: Data(buffer: response.body))
                    #expect(envelope.statusCode == code.rawValue, "\(uri)")
                }
            }
        }
        #expect(forwarded.withLockedValue { $0.isEmpty })
    }

    @Test func hopByHopHeadersOfTheServicesAnswerStayHere() async throws {
        let answer = ForwardedHTTP.Response(
            status: .ok, headerFields: [.connection: "close", .transferEncoding: "chunked", .contentType: "application/json"],
            body: ByteBuffer(string: "{}")
        )
        try await app(answer: answer).test(.router) { client in
            try await client.execute(uri: "/douyin/feed/", method: .get) { response in
                #expect(response.headers[.connection] == nil && response.headers[.transferEncoding] == nil)
                #expect(response.headers[.contentType] == "application/json")
            }
        }
    }
}
