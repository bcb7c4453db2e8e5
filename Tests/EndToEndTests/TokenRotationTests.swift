import DouyinCrypto
import DouyinTestSupport
import Foundation
import Testing

extension EndToEnd {
    /// Signing keys rotate by one rule across every auth instance (TokenIssuer):
    /// whichever instance signed a token, and whenever, it is valid for its whole lifetime.
    @Suite struct TokenRotationTests {
        static func kid(of token: String) -> String? {
            guard let header = token.split(separator: ".").first.flatMap({ Base64URL.decode($0) }),
                let object = try? JSONSerialization.jsonObject(with: Data(header)) as? [String: Any]
            else { return nil }
            return object["kid"] as? String
        }

        @Test func everyTokenStaysValidForItsLifetimeWhileKeysRotate() async throws {
            try await Stack.with(environment: ["DOUYIN_AUTH_KEY_ROTATION_SECONDS": "2", "DOUYIN_TOKEN_TTL_SECONDS": "8"]) { stack in
                // A second instance, started while the first is young: neither may retire the other's key.
                try stack.start(.auth, name: "auth-2")
                try await stack.waitUntilRegistered(.auth, count: 2)
                let api = stack.api
                let account = try await api.register("rotor")
                var issued: [(token: String, at: ContinuousClock.Instant)] = [(account.token, .now)]
                let end = ContinuousClock.now + .seconds(9)
                while ContinuousClock.now < end {
                    let login = try await api.post("/douyin/user/login/", [("username", "rotor"), ("password", "secret12")])
                    let token = try #require(login.json["token"] as? String, "\(login.text)")
                    issued.append((token, .now))
                    // Every token still inside its lifetime (with a second to spare) works.
                    for (index, entry) in issued.enumerated() where entry.at.duration(to: .now) < .seconds(7) {
                        let info = try await api.get("/douyin/user/", [("user_id", account.idString), ("token", entry.token)])
                        #expect(info.isSuccess, "token \(index) (kid \(Self.kid(of: entry.token) ?? "?")): \(info.text)")
                    }
                    try await Task.sleep(for: .milliseconds(400))
                }
                let kids = Set(issued.compactMap { Self.kid(of: $0.token) })
                #expect(kids.count >= 3, "keys used: \(kids)")
                #expect(await stack.logs("auth", contain: "/douyin/user/login/"))
                #expect(await stack.logs("auth-2", contain: "/douyin/user/login/"))
                #expect(stack.exitedProcesses().isEmpty)
            }
        }
    }
}
