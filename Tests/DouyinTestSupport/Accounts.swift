import Foundation

/// A registered user, as the end-to-end tests use one.
public struct TestAccount: Sendable {
    public var id: Int
    public var token: String
    public var idString: String { String(id) }
}

extension APIClient {
    /// Registers `username` and returns its id and token; fails the test on error.
    public func register(_ username: String, password: String = "secret12") async throws -> TestAccount {
        let reply = try await post("/douyin/user/register/", [("username", username), ("password", password)])
        guard reply.isSuccess, let id = reply.json["user_id"] as? Int, let token = reply.json["token"] as? String else {
            throw RegistrationFailed(reply: reply.text)
        }
        return TestAccount(id: id, token: token)
    }

    /// A setup step of a test failed; `reply` is what the server said.
    public struct RegistrationFailed: Error, CustomStringConvertible {
        public var reply: String
        public var description: String { "setup request failed: \(reply)" }
    }
}
