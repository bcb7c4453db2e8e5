import AsyncHTTPClient
import DouyinClients
import DouyinHTTP
import DouyinIdentity
import DouyinModels
import DouyinRPC
import DouyinTestSupport
import HTTPTypes
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Testing
@testable import Gateway

/// The gateway repeats an answer only while the versions its service named still hold.
struct AnswerCacheTests {
    let versions = InMemoryVersionCounters()
    let calls = NIOLockedValueBox(0)
    static let feedKey = "douyin:feed:version"

    /// A forwarder whose service names the feed's current version on its answers to GETs
    /// (the way the feed's first page does) and counts what reaches it.
    func forwarder(
        maxAge: Duration = .seconds(2), serviceMaxAge: Duration = .seconds(2), status: HTTPResponse.Status = .ok,
        capacity: Int = 100, maxBytes: Int = 1 << 20
    ) -> APIForwarder {
        let (calls, versions) = (self.calls, self.versions)
        return APIForwarder(
            authenticator: GatewayAuthenticator(keys: AuthKeys(logger: Logger(label: "test")) { [] }),
            proxy: UpstreamProxy(
                client: HTTPClient.shared, services: [:], internalSecret: "secret", streamingTimeout: .seconds(5),
                send: { _, request, _ in
                    let call = calls.withLockedValue { $0 += 1; return $0 }
                    var fields: HTTPFields = [.contentType: "application/json"]
                    // Like the services: no versions named when Redis cannot say them.
                    if let version = try? await versions.read([Self.feedKey])[0] {
                        fields[.douyinValidWhile] = AnswerValidity(keys: [Self.feedKey], versions: [version], maxAge: serviceMaxAge).headerValue
                    }
                    return ForwardedHTTP.Response(status: status, headerFields: fields, body: ByteBuffer(string: "answer \(call) to \(request.path)"))
                }
            ),
            admission: Admission(limiter: nil, maxInFlight: 100), clientAddress: .behindGateway, timeout: .seconds(5),
            accessLog: .disabled, spans: nil, metrics: HTTPServerMetrics(),
            answers: AnswerCache(versions: versions, capacity: capacity, maxBytes: maxBytes, maxAge: maxAge), logger: Logger(label: "test")
        )
    }

    func ask(_ forwarder: APIForwarder, _ target: String = "/douyin/feed/", method: HTTPRequest.Method = .get, host: String = "a.example") async -> ForwardedHTTP.Response {
        let head = HTTPRequest(method: method, scheme: nil, authority: host, path: target)
        let endpoint = APIForwarder.endpoint(taking: head)!
        return await forwarder.answer(head, body: ByteBuffer(), endpoint: endpoint, peer: "127.0.0.1")
    }

    @Test func anAnswerIsRepeatedWhileItsVersionsHoldAndNeverShowsThem() async throws {
        let forwarder = forwarder()
        let first = await ask(forwarder)
        let second = await ask(forwarder)
        #expect(String(buffer: second.body) == "answer 1 to /douyin/feed/")
        #expect(calls.withLockedValue { $0 } == 1)
        #expect(first.headerFields[.douyinValidWhile] == nil && second.headerFields[.douyinValidWhile] == nil)
        #expect(first.headerFields[.requestID] != second.headerFields[.requestID], "each answer has its own request id")
        // A write moved the version: the next read is the service's again.
        try await versions.increment([Self.feedKey])
        #expect(String(buffer: await ask(forwarder).body) == "answer 2 to /douyin/feed/")
        #expect(String(buffer: await ask(forwarder).body) == "answer 2 to /douyin/feed/")
    }

    @Test func anotherTargetOrHostIsAnotherAnswer() async {
        let forwarder = forwarder()
        _ = await ask(forwarder)
        #expect(String(buffer: await ask(forwarder, "/douyin/feed/?latest_time=5").body) == "answer 2 to /douyin/feed/?latest_time=5")
        #expect(String(buffer: await ask(forwarder, host: "b.example").body) == "answer 3 to /douyin/feed/")
        #expect(String(buffer: await ask(forwarder, host: "b.example").body) == "answer 3 to /douyin/feed/")
    }

    @Test func nothingIsRepeatedWhenRedisCannotSayOrTheAnswerIsOld() async throws {
        let forwarder = forwarder(maxAge: .milliseconds(200))
        _ = await ask(forwarder)
        versions.unreadable = true
        #expect(String(buffer: await ask(forwarder).body).hasPrefix("answer 2"))
        versions.unreadable = false
        try await Task.sleep(for: .milliseconds(300))
        #expect(String(buffer: await ask(forwarder).body).hasPrefix("answer 3"), "older than the gateway's limit")
        let short = self.forwarder(serviceMaxAge: .milliseconds(100))
        _ = await ask(short)
        try await Task.sleep(for: .milliseconds(200))
        #expect(String(buffer: await ask(short).body).hasPrefix("answer 5"), "older than the service said")
    }

    @Test func failuresAndWritesAreNeverRepeated() async {
        let failing = forwarder(status: .serviceUnavailable)
        _ = await ask(failing)
        _ = await ask(failing)
        #expect(calls.withLockedValue { $0 } == 2)
        let get = HTTPRequest(method: .get, scheme: nil, authority: "a", path: "/douyin/user/?user_id=1")
        let post = HTTPRequest(method: .post, scheme: nil, authority: "a", path: "/douyin/favorite/action/?video_id=1&action_type=1")
        #expect(AnswerCache.key(get, body: ByteBuffer(), identity: .user(7)) != nil)
        #expect(AnswerCache.key(post, body: ByteBuffer(), identity: .user(7)) == nil)
        #expect(AnswerCache.key(get, body: ByteBuffer(string: "token=x"), identity: .deferred) == nil, "a form body the gateway does not read")
        #expect(AnswerCache.key(get, body: ByteBuffer(), identity: .user(7)) != AnswerCache.key(get, body: ByteBuffer(), identity: .user(8)))
    }

    /// Bodies here are "answer <n> to /douyin/feed/?n=<i>": about 30 bytes.
    @Test func theLeastRecentlyUsedAnswersGoFirstWhenThereAreTooManyOrTooManyBytes() async {
        for (capacity, maxBytes) in [(3, 1 << 20), (100, 100)] {
            calls.withLockedValue { $0 = 0 }
            let forwarder = forwarder(capacity: capacity, maxBytes: maxBytes)
            for i in 1...3 { _ = await ask(forwarder, "/douyin/feed/?n=\(i)") }
            _ = await ask(forwarder, "/douyin/feed/?n=1")
            _ = await ask(forwarder, "/douyin/feed/?n=4")
            #expect(calls.withLockedValue { $0 } == 4, "1 was used again, so 2 made room for 4")
            _ = await ask(forwarder, "/douyin/feed/?n=1")
            _ = await ask(forwarder, "/douyin/feed/?n=4")
            #expect(calls.withLockedValue { $0 } == 4)
            _ = await ask(forwarder, "/douyin/feed/?n=2")
            #expect(calls.withLockedValue { $0 } == 5)
        }
    }

    @Test func aMalformedValidityIsIgnored() {
        for value in ["", "2000", "x k=1", "0 k=1", "2000 k=", "2000 =1", "2000 k=one"] {
            #expect(AnswerValidity(headerValue: value) == nil, "\(value)")
        }
        let validity = AnswerValidity(keys: ["douyin:user:1:version", "a=b"], versions: [3, -1], maxAge: .milliseconds(1500))
        #expect(AnswerValidity(headerValue: validity.headerValue) == validity)
    }
}
