import DouyinHTTP
import DouyinIdentity
import DouyinModels
import DouyinRPC
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct HTTPMiddlewareTests {
    struct Echo: Codable, Sendable {
        var a: String?
        var user: Int64?
    }

    func makeApp() -> some ApplicationProtocol {
        let router = Router(context: DouyinRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: ParameterMiddleware(identity: IdentityResolver(keys: nil, internalSecret: "s3cret"), maxFormBytes: 1024))
        router.get("/douyin/user/") { _, context in
            APIResponse(Echo(a: context.params["a"], user: try context.optionalUser()))
        }
        router.get("/douyin/relation/follow/list/") { _, context -> Response in
            _ = try context.requireUser()
            return .success
        }
        return Application(router: router)
    }

    func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any] ?? [:]
    }

    @Test func unknownPathIs404AndWrongMethodIs405WithJSON() async throws {
        try await makeApp().test(.router) { client in
            try await client.execute(uri: "/nope", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                #expect(try! json(response.body)["status_code"] as? Int == Int(ErrorCode.routeNotFound.rawValue))
            }
            try await client.execute(uri: "/douyin/user/", method: .delete) { response in
                #expect(response.status == .methodNotAllowed)
                #expect((try! json(response.body)["status_msg"] as? String)?.isEmpty == false)
            }
        }
    }

    @Test func readsFormAndMultipartBodiesOnGet() async throws {
        try await makeApp().test(.router) { client in
            var headers = HTTPFields()
            headers[.contentType] = "application/x-www-form-urlencoded"
            try await client.execute(uri: "/douyin/user/", method: .get, headers: headers, body: ByteBuffer(string: "a=form")) { response in
                #expect(try! json(response.body)["a"] as? String == "form")
            }
            try await client.execute(uri: "/douyin/user/?a=query", method: .get, headers: headers, body: ByteBuffer(string: "a=form")) { response in
                #expect(try! json(response.body)["a"] as? String == "query")
            }
            headers[.contentType] = "multipart/form-data; boundary=B"
            let body = "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nmulti\r\n--B--\r\n"
            try await client.execute(uri: "/douyin/user/", method: .get, headers: headers, body: ByteBuffer(string: body)) { response in
                #expect(try! json(response.body)["a"] as? String == "multi")
            }
        }
    }

    @Test func badParametersAreJSONErrorsNever5xx() async throws {
        try await makeApp().test(.router) { client in
            var headers = HTTPFields()
            headers[.contentType] = "application/x-www-form-urlencoded"
            for (uri, body) in [("/douyin/user/?a=%FF", ""), ("/douyin/user/?a=%00", ""), ("/douyin/user/", String(repeating: "a", count: 5000))] {
                try await client.execute(uri: uri, method: .get, headers: headers, body: ByteBuffer(string: body)) { response in
                    #expect(response.status.code < 500)
                    #expect(try! json(response.body)["status_code"] as? Int != 0)
                }
            }
        }
    }

    @Test func gatewayIdentityNeedsTheSecret() async throws {
        try await makeApp().test(.router) { client in
            var headers = HTTPFields()
            headers[HTTPField.Name(InternalHeader.userID)!] = "42"
            try await client.execute(uri: "/douyin/user/", method: .get, headers: headers) { response in
                #expect(try! json(response.body)["user"] == nil)
            }
            try await client.execute(uri: "/douyin/relation/follow/list/", method: .get, headers: headers) { response in
                #expect(try! json(response.body)["status_code"] as? Int == Int(ErrorCode.tokenMissing.rawValue))
            }
            headers[HTTPField.Name(InternalHeader.secret)!] = "s3cret"
            try await client.execute(uri: "/douyin/user/", method: .get, headers: headers) { response in
                #expect(try! json(response.body)["user"] as? Int == 42)
            }
        }
    }

    @Test func aTokenWithoutKeysIsRejectedNotIgnored() async throws {
        try await makeApp().test(.router) { client in
            try await client.execute(uri: "/douyin/user/?token=abc", method: .get) { response in
                #expect(try! json(response.body)["status_code"] as? Int == Int(ErrorCode.tokenInvalid.rawValue))
            }
        }
    }
}
