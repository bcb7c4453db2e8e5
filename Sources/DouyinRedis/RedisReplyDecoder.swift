import CHiredis
import NIOCore

/// Turns the bytes of a Redis connection into replies with hiredis's own parser.
///
/// Fed whatever arrives, in any split; emits one `RedisValue` per whole reply.
/// A protocol error closes the connection: nothing after it can be trusted.
final class RedisReplyDecoder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = RedisValue

    private let reader: UnsafeMutablePointer<redisReader>

    init() {
        guard let reader = redisReaderCreate() else { fatalError("hiredis could not allocate a reply reader") }
        self.reader = reader
    }

    deinit { redisReaderFree(reader) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        let fed = bytes.withUnsafeReadableBytes { raw in
            redisReaderFeed(reader, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count)
        }
        guard fed == REDIS_OK else { return protocolError(context) }
        while true {
            var raw: UnsafeMutableRawPointer?
            guard redisReaderGetReply(reader, &raw) == REDIS_OK else { return protocolError(context) }
            guard let raw else { return }
            let value = RedisValue(reply: raw.assumingMemoryBound(to: redisReply.self))
            freeReplyObject(raw)
            context.fireChannelRead(wrapInboundOut(value))
        }
    }

    private func protocolError(_ context: ChannelHandlerContext) {
        context.fireErrorCaught(RedisError.connection("protocol error"))
        context.close(promise: nil)
    }
}

extension RedisValue {
    /// Copies a hiredis reply (the caller frees it).
    init(reply: UnsafeMutablePointer<redisReply>) {
        let r = reply.pointee
        func text() -> String {
            String(decoding: UnsafeRawBufferPointer(start: r.str, count: Int(r.len)), as: UTF8.self)
        }
        switch Int32(r.type) {
        case REDIS_REPLY_INTEGER: self = .integer(r.integer)
        case REDIS_REPLY_STATUS: self = .status(text())
        case REDIS_REPLY_ERROR: self = .error(text())
        case REDIS_REPLY_STRING: self = .bulk(Array(UnsafeRawBufferPointer(start: r.str, count: Int(r.len))))
        case REDIS_REPLY_ARRAY: self = .array((0..<Int(r.elements)).map { RedisValue(reply: r.element[$0]!) })
        default: self = .null
        }
    }
}
