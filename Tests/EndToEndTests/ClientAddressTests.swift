import DouyinTestSupport
import Foundation
import Testing

extension EndToEnd {
    /// Per-address limits and logs use the client's address: the peer's, or, from a
    /// trusted proxy only, the rightmost untrusted `X-Forwarded-For` hop.
    @Suite struct ClientAddressTests {
        /// One request a second per address, so the second at once is refused.
        static let oneASecond = ["DOUYIN_GATEWAY_RATE_PER_ADDRESS": "1"]

        func feed(_ stack: Stack, forwardedFor: String) async throws -> Int {
            try await stack.api.get("/douyin/feed/", headers: [("X-Forwarded-For", forwardedFor)]).status
        }

        @Test func aForwardedForFromAnUntrustedPeerIsIgnored() async throws {
            try await Stack.with(environment: Self.oneASecond) { stack in
                // Each request claims another client; all come from one peer and share its limit.
                var statuses: [Int] = []
                for client in 1...4 { statuses.append(try await feed(stack, forwardedFor: "198.51.100.\(client)")) }
                #expect(statuses.filter { $0 == 429 }.count >= 2, "\(statuses)")
                #expect(await stack.logs("gateway", contain: #""client":"127.0.0.1""#))
                #expect(!stack.log(of: "gateway").contains("198.51.100."))
            }
        }

        @Test func throughATrustedProxyClientsAreLimitedApart() async throws {
            try await Stack.with(environment: Self.oneASecond.merging(["DOUYIN_TRUSTED_PROXIES": "127.0.0.0/8"]) { $1 }) { stack in
                let ann = "198.51.100.1", bob = "198.51.100.2"
                #expect(try await feed(stack, forwardedFor: ann) == 200)
                #expect(try await feed(stack, forwardedFor: ann) == 429, "ann's second request at once")
                #expect(try await feed(stack, forwardedFor: bob) == 200, "bob has a limit of his own")
                // Ann prepends bob's address: the proxy appended hers, and hers is what counts.
                #expect(try await feed(stack, forwardedFor: "\(bob), \(ann)") == 429)
                #expect(await stack.logs("gateway", contain: #""client":"198.51.100.2""#))

                // Services behind the gateway see the same client (the login throttle's address).
                let carol = "198.51.100.3"
                _ = try await stack.api.post(
                    "/douyin/user/login/", [("username", "nobody"), ("password", "secret12")], headers: [("X-Forwarded-For", carol)]
                )
                #expect(await stack.logs("auth", contain: #""client":"198.51.100.3""#), "\(stack.log(of: "auth").suffix(600))")
            }
        }
    }
}
