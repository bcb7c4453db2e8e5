import DouyinModels
import HTTPTypes
import Testing

@Suite struct RouteTableTests {
    @Test func everyEndpointRoutesToItsService() {
        for endpoint in Endpoint.all {
            let method: HTTPRequest.Method = endpoint.method == .get ? .get : .post
            #expect(Endpoint.route(path: endpoint.path, method: method.rawValue) == .endpoint(endpoint))
        }
        #expect(Endpoint.route(path: "/douyin/user/register/", method: "POST") == .endpoint(Endpoint.at(path: "/douyin/user/register/")!))
        #expect(Endpoint.at(path: "/douyin/user/register/")?.service == .auth)
        #expect(Endpoint.at(path: "/douyin/user/")?.service == .user)
        #expect(Endpoint.at(path: "/douyin/message/chat/")?.service == .chat)
    }

    @Test func wrongMethodAndUnknownPath() {
        #expect(Endpoint.route(path: "/douyin/feed/", method: "POST") == .methodNotAllowed)
        #expect(Endpoint.route(path: "/douyin/user/login/", method: "GET") == .methodNotAllowed)
        #expect(Endpoint.route(path: "/douyin/user/", method: "PUT") == .methodNotAllowed)
        #expect(Endpoint.route(path: "/douyin/feed", method: "GET") == .notFound)
        #expect(Endpoint.route(path: "/", method: "GET") == .notFound)
        #expect(Endpoint.route(path: "/media/v/1.mp4", method: "GET") == .media)
        #expect(Endpoint.route(path: "/media/v/1.mp4", method: "POST") == .methodNotAllowed)
        #expect(Endpoint.route(path: "/healthz", method: "GET") == .operational)
        #expect(Endpoint.route(path: "/healthz", method: "TRACE") == .methodNotAllowed)
        // Readiness and metrics are on the admin listener only: unknown on the public port.
        for path in ["/metrics", "/readyz"] {
            #expect(Endpoint.route(path: path, method: "GET") == .notFound)
            #expect(Endpoint.route(path: path, method: "POST") == .notFound)
        }
    }

    @Test func onlyRegisterAndLoginSkipTokens() {
        let open = Endpoint.all.filter { $0.token == .none }.map(\.path)
        #expect(Set(open) == ["/douyin/user/register/", "/douyin/user/login/"])
        // Anonymous reads: the feed, and the search extensions.
        #expect(Endpoint.all.filter { $0.token == .optional }.map(\.path) == ["/douyin/feed/", "/douyin/search/user/", "/douyin/search/video/"])
    }
}
