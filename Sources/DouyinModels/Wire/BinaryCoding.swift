/// A compact binary encoding for RPC payloads read on hot paths.
///
/// Decoding a page of users from JSON was about a fifth of the video service's
/// CPU on the logged-in feed. Integers are zigzag varints, strings a varint
/// length and their UTF-8 bytes, arrays a varint count and their elements; no
/// field names. A payload starts with `marker`, a byte no JSON text starts with,
/// so a reader accepts either encoding.
public protocol BinaryCodable {
    init(binary reader: inout BinaryReader) throws(BinaryReader.Malformed)
    func write(binary writer: inout BinaryWriter)
}

public enum BinaryPayload {
    /// The first byte of a binary payload.
    public static let marker: UInt8 = 0
}

public struct BinaryWriter {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func byte(_ value: UInt8) {
        bytes.append(value)
    }

    public mutating func int(_ value: Int64) {
        var zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while zigzag >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: zigzag) | 0x80)
            zigzag >>= 7
        }
        bytes.append(UInt8(zigzag))
    }

    public mutating func bool(_ value: Bool) {
        bytes.append(value ? 1 : 0)
    }

    public mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            int(Int64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    public mutating func optional(_ value: Int64?) {
        bool(value != nil)
        if let value { int(value) }
    }

    public mutating func array<Element>(_ elements: [Element], _ write: (inout BinaryWriter, Element) -> Void) {
        int(Int64(elements.count))
        for element in elements { write(&self, element) }
    }
}

public struct BinaryReader {
    public struct Malformed: Error {
        public init() {}
    }

    private let bytes: [UInt8]
    private var index: Int

    public init(_ bytes: [UInt8], from start: Int = 0) {
        self.bytes = bytes
        self.index = start
    }

    public var isAtEnd: Bool { index == bytes.count }

    public mutating func byte() throws(Malformed) -> UInt8 {
        guard index < bytes.count else { throw Malformed() }
        defer { index += 1 }
        return bytes[index]
    }

    public mutating func int() throws(Malformed) -> Int64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            guard shift < 64 else { throw Malformed() }
            value |= UInt64(next & 0x7F) << shift
            if next & 0x80 == 0 { break }
            shift += 7
        }
        return Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }

    public mutating func bool() throws(Malformed) -> Bool {
        switch try byte() {
        case 0: false
        case 1: true
        default: throw Malformed()
        }
    }

    public mutating func string() throws(Malformed) -> String {
        let count = try int()
        guard count >= 0, count <= bytes.count - index else { throw Malformed() }
        defer { index += Int(count) }
        guard let text = String(validating: bytes[index..<index + Int(count)], as: UTF8.self) else { throw Malformed() }
        return text
    }

    public mutating func optional() throws(Malformed) -> Int64? {
        try bool() ? try int() : nil
    }

    /// `count` elements, each read by `read`; the count is checked against what is left.
    public mutating func array<Element>(_ read: (inout BinaryReader) throws(Malformed) -> Element) throws(Malformed) -> [Element] {
        let count = try int()
        guard count >= 0, count <= bytes.count - index else { throw Malformed() }
        var elements: [Element] = []
        elements.reserveCapacity(Int(count))
        for _ in 0..<count { elements.append(try read(&self)) }
        return elements
    }
}
