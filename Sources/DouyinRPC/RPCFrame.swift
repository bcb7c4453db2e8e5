import DouyinObservability
import NIOCore

/// One message of the internal RPC protocol (DESIGN.md section 3).
///
/// On the wire: a 4-byte big-endian length, then
/// `version u8, kind u8, stream u32, deadline-ms u32, error-code i32,
///  method, traceparent, request-id (each u16 length + UTF-8), payload`.
public struct RPCFrame: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        case request = 1
        case response = 2
        case error = 3
    }

    public static let version: UInt8 = 1
    /// Frames above this are refused: a peer cannot make us buffer without bound.
    public static let maxLength = 16 << 20

    public var kind: Kind
    public var streamID: UInt32
    /// Milliseconds the callee has left; 0 = no deadline.
    public var deadlineMilliseconds: UInt32
    /// An `ErrorCode` raw value, for `.error` frames.
    public var errorCode: Int32
    public var method: String
    public var traceparent: String
    public var requestID: String
    /// JSON of the request or response; the error message for `.error` frames.
    public var payload: ByteBuffer

    public init(
        kind: Kind, streamID: UInt32 = 0, deadlineMilliseconds: UInt32 = 0, errorCode: Int32 = 0,
        method: String = "", traceparent: String = "", requestID: String = "", payload: ByteBuffer = ByteBuffer()
    ) {
        self.kind = kind
        self.streamID = streamID
        self.deadlineMilliseconds = deadlineMilliseconds
        self.errorCode = errorCode
        self.method = method
        self.traceparent = traceparent
        self.requestID = requestID
        self.payload = payload
    }
}

public enum RPCFrameError: Error, Equatable {
    case unsupportedVersion(UInt8)
    case unknownKind(UInt8)
    case truncated
    case tooLarge(Int)
}

extension RPCFrame {
    /// Writes the whole frame, length prefix included.
    public func write(to buffer: inout ByteBuffer) {
        let start = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(Self.version)
        buffer.writeInteger(kind.rawValue)
        buffer.writeInteger(streamID)
        buffer.writeInteger(deadlineMilliseconds)
        buffer.writeInteger(errorCode)
        for text in [method, traceparent, requestID] {
            let utf8 = text.utf8.prefix(Int(UInt16.max))
            buffer.writeInteger(UInt16(utf8.count))
            buffer.writeBytes(utf8)
        }
        var payload = payload
        buffer.writeBuffer(&payload)
        buffer.setInteger(UInt32(buffer.writerIndex - start - 4), at: start)
    }

    /// Reads a frame body (without its length prefix).
    public init(reading buffer: inout ByteBuffer) throws {
        guard let version: UInt8 = buffer.readInteger() else { throw RPCFrameError.truncated }
        guard version == Self.version else { throw RPCFrameError.unsupportedVersion(version) }
        guard let rawKind: UInt8 = buffer.readInteger(),
            let streamID: UInt32 = buffer.readInteger(),
            let deadline: UInt32 = buffer.readInteger(),
            let errorCode: Int32 = buffer.readInteger()
        else { throw RPCFrameError.truncated }
        guard let kind = Kind(rawValue: rawKind) else { throw RPCFrameError.unknownKind(rawKind) }
        var texts: [String] = []
        for _ in 0..<3 {
            guard let length: UInt16 = buffer.readInteger(), let text = buffer.readString(length: Int(length)) else {
                throw RPCFrameError.truncated
            }
            texts.append(text)
        }
        self.init(
            kind: kind, streamID: streamID, deadlineMilliseconds: deadline, errorCode: errorCode,
            method: texts[0], traceparent: texts[1], requestID: texts[2], payload: buffer.slice()
        )
        buffer.moveReaderIndex(to: buffer.writerIndex)
    }
}

/// Splits the byte stream into frames (inbound) and writes frames (outbound).
public final class RPCFrameCodec: ByteToMessageDecoder, MessageToByteEncoder {
    public typealias InboundOut = RPCFrame
    public typealias OutboundIn = RPCFrame

    public init() {}

    public func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
        guard Int(length) <= RPCFrame.maxLength else { throw RPCFrameError.tooLarge(Int(length)) }
        guard buffer.readableBytes >= 4 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        var body = buffer.readSlice(length: Int(length))!
        context.fireChannelRead(Self.wrapInboundOut(try RPCFrame(reading: &body)))
        return .continue
    }

    public func encode(data: RPCFrame, out: inout ByteBuffer) throws {
        data.write(to: &out)
    }
}
