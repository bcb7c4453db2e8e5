/// Payloads of successful responses; `APIResponse` adds `status_code` and `status_msg` beside their fields.

/// `POST /douyin/user/register/` and `POST /douyin/user/login/`.
public struct AuthResponse: Codable, Sendable, Equatable {
    public var userID: UserID
    public var token: String

    public init(userID: UserID, token: String) {
        self.userID = userID
        self.token = token
    }

    enum CodingKeys: String, CodingKey {
        case userID = "user_id"
        case token
    }
}

/// `GET /douyin/user/`.
public struct UserResponse: Codable, Sendable, Equatable {
    public var user: User

    public init(user: User) {
        self.user = user
    }

    enum CodingKeys: String, CodingKey {
        case user
    }
}

extension AuthResponse: JSONObjectWritable {
    public func writeFields(to writer: inout JSONWriter) {
        writer.field("user_id", userID)
        writer.field("token", token)
    }
}
