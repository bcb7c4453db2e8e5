import DouyinModels
@testable import Gateway
import HTTPTypes
import Testing

@Suite struct RouteTableTests {
    @Test func everyEndpointRoutesToItsService() {
        for endpoint in Endpoint.all {
            let method: HTTPRequest.Method = endpoint.method == .get ? .get : .post
            #expect(RouteTable.resolve(path: endpoint.path, method: method) == .endpoint(endpoint))
        }
        #expect(RouteTable.resolve(path: "/douyin/user/register/", method: .post) == .endpoint(Endpoint.at(path: "/douyin/user/register/")!))
        #expect(Endpoint.at(path: "/douyin/user/register/")?.service == .auth)
        #expect(Endpoint.at(path: "/douyin/user/")?.service == .user)
        #expect(Endpoint.at(path: "/douyin/message/chat/")?.service == .chat)
    }

    @Test func wrongMethodAndUnknownPath() {
        #expect(RouteTable.resolve(path: "/douyin/feed/", method: .post) == .methodNotAllowed)
        #expect(RouteTable.resolve(path: "/douyin/user/login/", method: .get) == .methodNotAllowed)
        #expect(RouteTable.resolve(path: "/douyin/user/", method: .put) == .methodNotAllowed)
        #expect(RouteTable.resolve(path: "/douyin/feed", method: .get) == .notFound)
        #expect(RouteTable.resolve(path: "/", method: .get) == .notFound)
        #expect(RouteTable.resolve(path: "/media/v/1.mp4", method: .get) == .media)
        #expect(RouteTable.resolve(path: "/media/v/1.mp4", method: .post) == .methodNotAllowed)
    }

    @Test func onlyRegisterAndLoginSkipTokens() {
        let open = Endpoint.all.filter { $0.token == .none }.map(\.path)
        #expect(Set(open) == ["/douyin/user/register/", "/douyin/user/login/"])
        #expect(Endpoint.all.filter { $0.token == .optional }.map(\.path) == ["/douyin/feed/"])
    }
}
