/// A Swift value that can be read from PostgreSQL's text format.
public protocol PostgresDecodable: Sendable {
    static func decode(postgresText: Substring) throws -> Self
    /// What SQL NULL decodes to, if this type can hold it.
    static var postgresNull: Self? { get }
}

extension PostgresDecodable {
    public static var postgresNull: Self? { nil }
}

extension String: PostgresDecodable {
    public static func decode(postgresText text: Substring) throws -> String { String(text) }
}

extension PostgresDecodable where Self: FixedWidthInteger {
    public static func decode(postgresText text: Substring) throws -> Self {
        guard let value = Self(text) else { throw PostgresError.decoding(type: "\(Self.self)", text: String(text.prefix(32))) }
        return value
    }
}

extension Int64: PostgresDecodable {}
extension Int: PostgresDecodable {}
extension Int32: PostgresDecodable {}

extension Bool: PostgresDecodable {
    public static func decode(postgresText text: Substring) throws -> Bool {
        switch text {
        case "t": return true
        case "f": return false
        default: throw PostgresError.decoding(type: "Bool", text: String(text.prefix(8)))
        }
    }
}

extension Double: PostgresDecodable {
    public static func decode(postgresText text: Substring) throws -> Double {
        guard let value = Double(text) else { throw PostgresError.decoding(type: "Double", text: String(text.prefix(32))) }
        return value
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(postgresText text: Substring) throws -> Wrapped? {
        try Wrapped.decode(postgresText: text)
    }

    public static var postgresNull: Wrapped?? { .some(nil) }
}

/// One row of a result, copied out of libpq's result so it outlives it.
public struct PostgresRow: Sendable {
    /// Column values in text format; nil is SQL NULL.
    public let values: [String?]
    public let columns: [String]

    /// Decodes the row's columns, in order, into a typed tuple:
    ///
    ///     let (id, name) = try row.decode(Int64.self, String.self)
    public func decode<each T: PostgresDecodable>(_ types: repeat (each T).Type) throws -> (repeat each T) {
        var index = 0
        func next<U: PostgresDecodable>(_ type: U.Type) throws -> U {
            defer { index += 1 }
            return try column(index, as: type)
        }
        return (repeat try next((each T).self))
    }

    /// The value of column `index`; NULL decodes only into an optional.
    public func column<U: PostgresDecodable>(_ index: Int, as type: U.Type = U.self) throws -> U {
        guard index < values.count else { throw PostgresError.decoding(type: "\(U.self)", text: "no column \(index)") }
        guard let text = values[index] else {
            if let null = U.postgresNull { return null }
            throw PostgresError.decoding(type: "\(U.self)", text: "NULL in column \(columns[index])")
        }
        return try U.decode(postgresText: Substring(text))
    }
}

/// What a statement returned.
public struct PostgresResult: Sendable {
    public let rows: [PostgresRow]
    /// Rows inserted, updated or deleted.
    public let affectedRows: Int

    /// The rows decoded into typed tuples.
    public func decode<each T: PostgresDecodable>(_ types: repeat (each T).Type) throws -> [(repeat each T)] {
        try rows.map { try $0.decode(repeat each types) }
    }

    public var first: PostgresRow? { rows.first }
}
