/// A page of a list endpoint (API.md 8.1): the items under their endpoint's
/// field name (`user_list`, `video_list`, ...) and `next_cursor`.
public struct ListPage<Item: Codable & Sendable & Equatable, Field: ListField>: Codable, Sendable, Equatable {
    public var items: [Item]
    /// "" exactly when nothing follows.
    public var nextCursor: String

    public init(_ items: [Item], nextCursor: String) {
        self.items = items
        self.nextCursor = nextCursor
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        items = try container.decode([Item].self, forKey: Key(stringValue: Field.name))
        nextCursor = try container.decode(String.self, forKey: Key(stringValue: "next_cursor"))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(items, forKey: Key(stringValue: Field.name))
        try container.encode(nextCursor, forKey: Key(stringValue: "next_cursor"))
    }
}

/// The JSON name of a list's items.
public protocol ListField: Sendable {
    static var name: String { get }
    /// The same name, for `JSONWriter`.
    static var jsonName: StaticString { get }
}

public enum UserListField: ListField {
    public static let name = "user_list"
    public static let jsonName: StaticString = "user_list"
}
public enum VideoListField: ListField {
    public static let name = "video_list"
    public static let jsonName: StaticString = "video_list"
}
public enum CommentListField: ListField {
    public static let name = "comment_list"
    public static let jsonName: StaticString = "comment_list"
}
public enum MessageListField: ListField {
    public static let name = "message_list"
    public static let jsonName: StaticString = "message_list"
}

public typealias UserListResponse<Item: Codable & Sendable & Equatable> = ListPage<Item, UserListField>
public typealias VideoListResponse = ListPage<Video, VideoListField>
public typealias CommentListResponse = ListPage<Comment, CommentListField>
public typealias MessageListResponse = ListPage<Message, MessageListField>

extension ListPage: JSONObjectWritable where Item: JSONObjectWritable {
    public var jsonSizeHint: Int { items.reduce(64) { $0 + $1.jsonSizeHint } }

    public func writeFields(to writer: inout JSONWriter) {
        writer.key(Field.jsonName)
        writer.array(items) { writer, item in item.writeJSON(to: &writer) }
        writer.field("next_cursor", nextCursor)
    }
}
