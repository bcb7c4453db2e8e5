import DouyinModels

/// The parameters of one request, merged from the query string and a form body
/// by the rules of API.md 1.1: empty values are absent, the first occurrence in
/// a source wins, and the query string wins over the body.
public struct RequestParameters: Sendable, Equatable {
    private var values: [String: String] = [:]

    public init() {}

    /// Merges sources in precedence order (query first, then body).
    public init(sources: [[(String, String)]]) {
        for source in sources {
            for (name, value) in source where !value.isEmpty && values[name] == nil {
                values[name] = value
            }
        }
    }

    public subscript(name: String) -> String? { values[name] }

    // MARK: - Typed reading (API.md 1.2)

    /// A required string whose length in Unicode code points lies in `codePoints`.
    public func string(_ name: String, codePoints: ClosedRange<Int>) throws(DouyinError) -> String {
        guard let value = values[name] else { throw .missing(name) }
        let count = value.unicodeScalars.count
        guard codePoints.contains(count) else {
            throw .invalid(name, "must be \(codePoints.lowerBound) to \(codePoints.upperBound) characters")
        }
        return value
    }

    /// A required base-10 int64: ASCII digits only, no sign, no spaces.
    public func int64(_ name: String) throws(DouyinError) -> Int64 {
        guard let value = values[name] else { throw .missing(name) }
        return try Self.parseInt64(value, name: name)
    }

    public func optionalInt64(_ name: String) throws(DouyinError) -> Int64? {
        guard let value = values[name] else { return nil }
        return try Self.parseInt64(value, name: name)
    }

    /// A required object id: 1 ... 2^53-1.
    public func id(_ name: String) throws(DouyinError) -> Int64 {
        let value = try int64(name)
        guard (1...Self.maxID).contains(value) else { throw DouyinError.invalid(name, "not a valid id") }
        return value
    }

    public static let maxID: Int64 = (1 << 53) - 1

    static func parseInt64(_ text: String, name: String) throws(DouyinError) -> Int64 {
        guard !text.isEmpty, text.utf8.count <= 19, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let value = Int64(text)
        else { throw .invalid(name, "must be a non-negative base-10 integer") }
        return value
    }
}

/// Decoding of `application/x-www-form-urlencoded` text (query strings and bodies).
public enum FormURLEncoding {
    /// The name/value pairs in order. Fails on percent-encoded bytes that are not
    /// UTF-8, on malformed escapes, and on NUL anywhere (API.md 1.1, 1.2).
    public static func decode(_ text: [UInt8]) throws(DouyinError) -> [(String, String)] {
        // Concrete, not generic over the collection: every request passes through
        // here, and unspecialized generic code across modules costs a runtime
        // metadata lookup per step.
        try text.withUnsafeBufferPointer { (buffer) throws(DouyinError) in try decode(buffer) }
    }

    private static func decode(_ text: UnsafeBufferPointer<UInt8>) throws(DouyinError) -> [(String, String)] {
        var pairs: [(String, String)] = []
        for field in rawFields(text) {
            pairs.append((try component(field.name), try component(field.value)))
        }
        return pairs
    }

    /// The `name=value` fields, not yet unescaped; a field without `=` has an empty value.
    private static func rawFields(_ text: UnsafeBufferPointer<UInt8>) -> some Sequence<(name: RawText, value: RawText)> {
        text.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true).lazy.map { field in
            let equals = field.firstIndex(of: UInt8(ascii: "=")) ?? field.endIndex
            return (field[..<equals], field[equals...].dropFirst())
        }
    }

    private typealias RawText = Slice<UnsafeBufferPointer<UInt8>>

    /// The parameter `name` as `RequestParameters` would read it from this text alone
    /// (the first non-empty value), decoding no other field. For the gateway, which
    /// needs only the token of a request whose other fields the service reads.
    public static func parameter(_ name: String, in text: String) throws(DouyinError) -> String? {
        var text = text
        return try text.withUTF8 { buffer in
            Result { () throws(DouyinError) in try parameter(Array(name.utf8), in: buffer) }
        }.get()
    }

    private static func parameter(_ name: [UInt8], in text: UnsafeBufferPointer<UInt8>) throws(DouyinError) -> String? {
        for field in rawFields(text) {
            let escaped = field.name.contains { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }
            // Other fields, malformed or not, are the service's to read.
            let matches = escaped ? (try? component(field.name)).map { $0.utf8.elementsEqual(name) } ?? false : field.name.elementsEqual(name)
            guard matches else { continue }
            let value = try component(field.value)
            if !value.isEmpty { return value }
        }
        return nil
    }

    private static func component(_ raw: RawText) throws(DouyinError) -> String {
        let escaped = raw.contains { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }
        // Most fields (ids, tokens) have nothing to unescape: checked where they lie, not copied byte by byte.
        guard escaped else { return try validText(UnsafeBufferPointer(rebasing: raw)) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var iterator = raw.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    throw DouyinError(.invalidParameter, "malformed percent-encoding")
                }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return try validText(bytes)
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters (and `also`).
    public static func percentEncode(_ text: String, keeping also: Set<UInt8> = []) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var encoded: [UInt8] = []
        encoded.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.append(byte)
            case _ where also.contains(byte):
                encoded.append(byte)
            default:
                encoded += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }

    /// The bytes as a String, if they are UTF-8 without NUL.
    public static func validText(_ bytes: [UInt8]) throws(DouyinError) -> String {
        try bytes.withUnsafeBufferPointer { (buffer) throws(DouyinError) in try validText(buffer) }
    }

    private static func validText(_ bytes: UnsafeBufferPointer<UInt8>) throws(DouyinError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw DouyinError(.invalidParameter, "parameters must be valid UTF-8")
        }
        guard !bytes.contains(0) else { throw DouyinError(.invalidParameter, "parameters must not contain NUL") }
        return text
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
