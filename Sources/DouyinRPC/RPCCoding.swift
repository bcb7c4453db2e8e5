import DouyinModels
import Foundation
import NIOCore

/// Coding of RPC payloads: JSON, or for types on hot paths `BinaryCodable`. Either
/// is read whatever the type, so a peer of an older build is still understood.
enum RPCCoding {
    static func encode(_ value: some Encodable) throws -> ByteBuffer {
        if let binary = value as? any BinaryCodable {
            var writer = BinaryWriter(capacity: 512)
            writer.byte(BinaryPayload.marker)
            binary.write(binary: &writer)
            return ByteBuffer(bytes: writer.bytes)
        }
        return ByteBuffer(data: try JSONEncoder().encode(value))
    }

    static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        if buffer.readableBytesView.first == BinaryPayload.marker, let binary = T.self as? any BinaryCodable.Type {
            var reader = BinaryReader(Array(buffer.readableBytesView), from: 1)
            guard let value = try binary.init(binary: &reader) as? T, reader.isAtEnd else { throw BinaryReader.Malformed() }
            return value
        }
        return try JSONDecoder().decode(type, from: Data(buffer.readableBytesView))
    }
}
