/// A user in the friend list: every User field, plus the latest message exchanged (API.md 4).
public struct FriendUser: Codable, Sendable, Equatable {
    public var user: User
    public var message: String
    /// 0: the latest message was received by the requester; 1: sent by the requester.
    public var messageType: Int

    public init(user: User, message: String = "", messageType: Int = 0) {
        self.user = user
        self.message = message
        self.messageType = messageType
    }

    enum CodingKeys: String, CodingKey {
        case message
        case messageType = "msgType"
    }

    public init(from decoder: any Decoder) throws {
        user = try User(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        message = try container.decode(String.self, forKey: .message)
        messageType = try container.decode(Int.self, forKey: .messageType)
    }

    public func encode(to encoder: any Encoder) throws {
        try user.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(message, forKey: .message)
        try container.encode(messageType, forKey: .messageType)
    }
}

extension FriendUser: JSONObjectWritable {
    public var jsonSizeHint: Int { 40 + message.utf8.count + user.jsonSizeHint }

    public func writeFields(to writer: inout JSONWriter) {
        user.writeFields(to: &writer)
        writer.field("message", message)
        writer.field("msgType", messageType)
    }
}
