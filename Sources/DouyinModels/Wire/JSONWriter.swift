/// Writes JSON straight to bytes, for the wire models the API answers with.
///
/// Foundation's `JSONEncoder` builds a dictionary per object and looks up
/// generic metadata per field: on a page of 30 videos it was the largest cost
/// of the logged-in paths. The models write their fields here in their
/// documented order instead; `Codable` stays for decoding and for tests.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8]
    /// Whether the object being written has a field yet (a comma goes before the next).
    private var hasField = false

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// `{`, the fields `body` writes, `}`.
    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        let outer = hasField
        hasField = false
        body(&self)
        hasField = outer
        bytes.append(UInt8(ascii: "}"))
    }

    /// `[`, one value per element, `]`.
    public mutating func array<Element>(_ elements: some Sequence<Element>, _ write: (inout JSONWriter, Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        var first = true
        for element in elements {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            write(&self, element)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// `"name":` inside an object; `name` is a plain ASCII key, written as it is.
    public mutating func key(_ name: StaticString) {
        if hasField { bytes.append(UInt8(ascii: ",")) }
        hasField = true
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func field(_ name: StaticString, _ value: Int64) {
        key(name)
        integer(value)
    }

    public mutating func field(_ name: StaticString, _ value: Int) {
        field(name, Int64(value))
    }

    public mutating func field(_ name: StaticString, _ value: Int32) {
        field(name, Int64(value))
    }

    public mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: value ? Self.trueBytes : Self.falseBytes)
    }

    public mutating func field(_ name: StaticString, _ value: String) {
        key(name)
        string(value)
    }

    public mutating func field(_ name: StaticString, _ value: some JSONObjectWritable) {
        key(name)
        value.writeJSON(to: &self)
    }

    public mutating func field<Element: JSONObjectWritable>(_ name: StaticString, _ values: [Element]) {
        key(name)
        array(values) { writer, value in value.writeJSON(to: &writer) }
    }

    public mutating func integer(_ value: Int64) {
        if value == 0 { return bytes.append(UInt8(ascii: "0")) }
        var magnitude = value.magnitude
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        // Digits backwards into a small buffer, then forwards into the output.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var count = 0
            while magnitude > 0 {
                digits[count] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
                count += 1
            }
            for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(digits[index]) }
        }
    }

    /// A JSON string: quotes, backslashes and control characters escaped, everything
    /// else (non-ASCII included) as its UTF-8 bytes. `/` is not escaped: URLs stay readable.
    public mutating func string(_ value: String) {
        Self.appendQuoted(value, to: &bytes)
    }

    /// `text` as a JSON string at the end of `bytes` (the log lines are written with it too).
    public static func appendQuoted(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            // Most text needs no escaping: runs between escapes are copied in one go.
            var start = 0
            for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                escape(byte, to: &bytes)
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static func escape(_ byte: UInt8, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        default:
            bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            bytes.append(hex[Int(byte >> 4)])
            bytes.append(hex[Int(byte & 0x0F)])
        }
    }

    private static let trueBytes: [UInt8] = Array("true".utf8)
    private static let falseBytes: [UInt8] = Array("false".utf8)
    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)
}

/// A wire model that writes itself as one JSON object.
public protocol JSONObjectWritable: Sendable {
    /// Writes the object's fields, in order, into an object already opened.
    func writeFields(to writer: inout JSONWriter)
    /// About how many bytes the object takes, so a writer is sized once: a page of 100
    /// users grew its buffer five times, copying it each time.
    var jsonSizeHint: Int { get }
}

extension JSONObjectWritable {
    public var jsonSizeHint: Int { 256 }

    public func writeJSON(to writer: inout JSONWriter) {
        writer.object { writeFields(to: &$0) }
    }

    /// The object alone, as bytes.
    public var jsonBytes: [UInt8] {
        var writer = JSONWriter()
        writeJSON(to: &writer)
        return writer.bytes
    }
}
