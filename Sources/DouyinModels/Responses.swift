/// Response bodies of the public API. Each embeds the status envelope fields.

/// `POST /douyin/user/register/` and `POST /douyin/user/login/`.
public struct AuthResponse: Codable, Sendable, Equatable {
    public var statusCode: Int32 = 0
    public var statusMessage: String = ""
    public var userID: UserID
    public var token: String

    public init(userID: UserID, token: String) {
        self.userID = userID
        self.token = token
    }

    enum CodingKeys: String, CodingKey {
        case statusCode = "status_code"
        case statusMessage = "status_msg"
        case userID = "user_id"
        case token
    }
}

/// `GET /douyin/user/`.
public struct UserResponse: Codable, Sendable, Equatable {
    public var statusCode: Int32 = 0
    public var statusMessage: String = ""
    public var user: User

    public init(user: User) {
        self.user = user
    }

    enum CodingKeys: String, CodingKey {
        case statusCode = "status_code"
        case statusMessage = "status_msg"
        case user
    }
}
