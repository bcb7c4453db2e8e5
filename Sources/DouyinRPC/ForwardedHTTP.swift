import DouyinModels
import HTTPTypes
import NIOCore

/// A public HTTP request handed from the gateway to a service as one RPC call,
/// and the service's answer.
///
/// The gateway forwards every buffered request this way: on its multiplexed RPC
/// connection many requests share one socket and one read, where HTTP/1.1 needs a
/// connection per request in flight and a parse on each side. Uploads and media
/// stream over HTTP instead; a frame holds a whole body.
///
/// Payload layout: request `method (u16 length + UTF-8), path (u32 + UTF-8),
/// fields, body`; response `status u16, fields, body`; fields are a u16 count,
/// then per field a name (u16 + UTF-8) and a value (u32 + UTF-8); the body is the rest.
public enum ForwardedHTTP {
    /// The RPC method under which every service serves its HTTP router.
    public static let method = "http.forward"
    /// Larger answers are refused rather than framed: the RPC frame limit guards the shared connection.
    public static let maxBody = RPCFrame.maxLength - (1 << 16)

    public struct Request: Sendable, Equatable {
        public var method: HTTPRequest.Method
        /// Path and query, as the client sent them.
        public var path: String
        public var headerFields: HTTPFields
        public var body: ByteBuffer

        public init(method: HTTPRequest.Method, path: String, headerFields: HTTPFields, body: ByteBuffer) {
            self.method = method
            self.path = path
            self.headerFields = headerFields
            self.body = body
        }

        public func write(to buffer: inout ByteBuffer) {
            ForwardedHTTP.writeText(method.rawValue, to: &buffer, as: UInt16.self)
            ForwardedHTTP.writeText(path, to: &buffer, as: UInt32.self)
            ForwardedHTTP.write(headerFields, to: &buffer)
            buffer.writeImmutableBuffer(body)
        }

        public init(reading buffer: inout ByteBuffer) throws(DouyinError) {
            guard let method = ForwardedHTTP.readText(&buffer, as: UInt16.self).flatMap({ HTTPRequest.Method($0) }),
                let path = ForwardedHTTP.readText(&buffer, as: UInt32.self)
            else { throw ForwardedHTTP.malformed }
            self.init(method: method, path: path, headerFields: try ForwardedHTTP.readFields(&buffer), body: buffer.slice())
        }
    }

    public struct Response: Sendable, Equatable {
        public var status: HTTPResponse.Status
        public var headerFields: HTTPFields
        public var body: ByteBuffer

        public init(status: HTTPResponse.Status, headerFields: HTTPFields, body: ByteBuffer) {
            self.status = status
            self.headerFields = headerFields
            self.body = body
        }

        public func write(to buffer: inout ByteBuffer) {
            buffer.writeInteger(UInt16(status.code))
            ForwardedHTTP.write(headerFields, to: &buffer)
            buffer.writeImmutableBuffer(body)
        }

        public init(reading buffer: inout ByteBuffer) throws(DouyinError) {
            guard let code: UInt16 = buffer.readInteger(), (100...999).contains(code) else { throw ForwardedHTTP.malformed }
            self.init(status: .init(code: Int(code)), headerFields: try ForwardedHTTP.readFields(&buffer), body: buffer.slice())
        }
    }

    static let malformed = DouyinError(.invalidParameter, "malformed forwarded HTTP message")

    private static func write(_ fields: HTTPFields, to buffer: inout ByteBuffer) {
        let count = min(fields.count, Int(UInt16.max))
        buffer.writeInteger(UInt16(count))
        for field in fields.prefix(count) {
            writeText(field.name.rawName, to: &buffer, as: UInt16.self)
            writeText(field.value, to: &buffer, as: UInt32.self)
        }
    }

    private static func readFields(_ buffer: inout ByteBuffer) throws(DouyinError) -> HTTPFields {
        guard let count: UInt16 = buffer.readInteger() else { throw malformed }
        var fields = HTTPFields()
        fields.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let name = readText(&buffer, as: UInt16.self).flatMap({ HTTPField.Name($0) }),
                let value = readText(&buffer, as: UInt32.self)
            else { throw malformed }
            fields.append(HTTPField(name: name, value: value))
        }
        return fields
    }

    /// The length, then the bytes; text longer than the length field can say is cut there.
    private static func writeText<Length: FixedWidthInteger>(_ text: String, to buffer: inout ByteBuffer, as: Length.Type) {
        let lengthAt = buffer.writerIndex
        buffer.writeInteger(Length(0))
        let written = min(buffer.writeString(text), Int(Length.max))
        buffer.moveWriterIndex(to: lengthAt + MemoryLayout<Length>.size + written)
        buffer.setInteger(Length(written), at: lengthAt)
    }

    private static func readText<Length: FixedWidthInteger>(_ buffer: inout ByteBuffer, as: Length.Type) -> String? {
        guard let length: Length = buffer.readInteger() else { return nil }
        return buffer.readString(length: Int(length))
    }
}
