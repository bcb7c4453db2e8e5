/// A User with its JSON already written: a cached user is encoded once, then placed
/// as it is in every list page that shows it (writing 100 users per page was a fifth
/// of the user service's CPU on the follower list).
public struct EncodedUser: Codable, Sendable, Equatable {
    public let user: User
    /// The object's fields, as `User.writeFields` writes them.
    public let fields: [UInt8]

    public init(_ user: User) {
        var writer = JSONWriter(capacity: user.jsonSizeHint)
        user.writeFields(to: &writer)
        self.user = user
        self.fields = writer.bytes
    }

    public var id: UserID { user.id }

    public init(from decoder: any Decoder) throws {
        self.init(try User(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try user.encode(to: encoder)
    }
}

extension EncodedUser: JSONObjectWritable {
    public var jsonSizeHint: Int { fields.count + 2 }

    public func writeFields(to writer: inout JSONWriter) {
        writer.rawFields(fields)
    }
}
