import DouyinCrypto
import DouyinModels

/// `limit` and `cursor` of a list endpoint (API.md 8.1).
///
/// Lists page by keyset: the cursor carries the position (a strictly ordered
/// number such as a creation sequence) of the last item served, so pages stay
/// stable under concurrent inserts. It is opaque to clients.
public struct Page: Sendable, Equatable {
    public static let defaultLimit = 100
    public var limit: Int
    /// Position of the last item of the previous page; nil for the first page.
    public var after: Int64?

    public init(limit: Int = Page.defaultLimit, after: Int64? = nil) {
        self.limit = limit
        self.after = after
    }

    public init(_ params: RequestParameters) throws(DouyinError) {
        let limit = try params.optionalInt64("limit") ?? Int64(Self.defaultLimit)
        guard (1...100).contains(limit) else { throw DouyinError.invalid("limit", "must be 1 to 100") }
        self.limit = Int(limit)
        self.after = try params["cursor"].map(Self.decode)
    }

    public static func encode(_ position: Int64) -> String {
        Base64URL.encode(Array("p\(position)".utf8))
    }

    static func decode(_ cursor: String) throws(DouyinError) -> Int64 {
        guard let bytes = Base64URL.decode(cursor), bytes.first == UInt8(ascii: "p"),
            let text = String(validating: bytes.dropFirst(), as: UTF8.self),
            let position = try? RequestParameters.parseInt64(text, name: "cursor")
        else { throw DouyinError.invalid("cursor", "malformed cursor") }
        return position
    }

    /// Cuts `rows` (fetched with `limit + 1`) to the page and makes the next cursor:
    /// "" exactly when nothing follows.
    public func finish<Row>(_ rows: [Row], position: (Row) -> Int64) -> (items: [Row], nextCursor: String) {
        guard rows.count > limit else { return (rows, "") }
        let items = Array(rows.prefix(limit))
        return (items, Self.encode(position(items[limit - 1])))
    }
}
