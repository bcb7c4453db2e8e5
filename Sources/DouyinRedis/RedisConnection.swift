import CHiredis
import DouyinPool

#if canImport(Glibc)
import Glibc
#endif

/// One hiredis connection. Blocking: used only on a `BlockingPool` thread or a subscriber's own thread.
public final class RedisConnection: BlockingConnection {
    private let context: UnsafeMutablePointer<redisContext>
    private var closed = false

    public init(host: String, port: Int, timeout: Duration) throws {
        let connectTimeout = timeval(duration: timeout)
        guard let context = redisConnectWithTimeout(host, Int32(port), connectTimeout) else {
            throw RedisError.connection("out of memory")
        }
        self.context = context
        if context.pointee.err != 0 {
            let message = Self.errorMessage(context)
            close()
            throw RedisError.connection(message)
        }
        try setReadTimeout(timeout)
    }

    deinit { close() }

    public var isHealthy: Bool { !closed && context.pointee.err == 0 }

    public func close() {
        guard !closed else { return }
        closed = true
        redisFree(context)
    }

    /// How long a read may block before the command fails with a timeout.
    public func setReadTimeout(_ timeout: Duration) throws {
        guard redisSetTimeout(context, timeval(duration: timeout)) == REDIS_OK else {
            throw RedisError.connection(Self.errorMessage(context))
        }
    }

    /// Sends one command and waits for its reply.
    public func send(_ arguments: [any RedisArgument]) throws -> RedisValue {
        try pipeline([arguments])[0]
    }

    /// Sends all commands in one write, then reads all replies: one round trip.
    public func pipeline(_ commands: [[any RedisArgument]]) throws -> [RedisValue] {
        for command in commands { try append(command) }
        return try commands.indices.map { _ in try readReply() }
    }

    /// Queues a command in the output buffer (written on the next read).
    func append(_ arguments: [any RedisArgument]) throws {
        let buffers = arguments.map(\.redisBytes)
        let status: Int32 = withArgv(buffers) { argv, lengths in
            redisAppendCommandArgv(context, Int32(buffers.count), argv, lengths)
        }
        guard status == REDIS_OK else { throw RedisError.connection(Self.errorMessage(context)) }
    }

    /// Reads the next reply, flushing queued commands first. Throws on timeout or a dead connection.
    func readReply() throws -> RedisValue {
        var raw: UnsafeMutableRawPointer?
        guard redisGetReply(context, &raw) == REDIS_OK, let raw else {
            throw RedisError.connection(Self.errorMessage(context))
        }
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }
        return RedisValue(reply: reply)
    }

    /// The next reply if one arrives within `timeout`, else nil; for subscribers, which wait indefinitely.
    /// - Parameter wake: a descriptor that ends the wait early (nil) when it becomes readable.
    func nextReply(within timeout: Duration, wake: Int32? = nil) throws -> RedisValue? {
        if let buffered = try bufferedReply() { return buffered }
        var descriptors = [pollfd(fd: context.pointee.fd, events: Int16(POLLIN), revents: 0)]
        if let wake { descriptors.append(pollfd(fd: wake, events: Int16(POLLIN), revents: 0)) }
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let ready = poll(&descriptors, nfds_t(descriptors.count), milliseconds)
        if ready == 0 || (ready < 0 && errno == EINTR) || (ready > 0 && descriptors[0].revents == 0) { return nil }
        guard ready > 0, redisBufferRead(context) == REDIS_OK else {
            throw RedisError.connection(Self.errorMessage(context))
        }
        return try bufferedReply()
    }

    /// Writes the queued commands without waiting for replies (a subscriber's commands
    /// are answered among its messages).
    func flush() throws {
        var done: Int32 = 0
        while done == 0 {
            guard redisBufferWrite(context, &done) == REDIS_OK else { throw RedisError.connection(Self.errorMessage(context)) }
        }
    }

    /// A reply already read from the socket, if a whole one is buffered.
    private func bufferedReply() throws -> RedisValue? {
        var raw: UnsafeMutableRawPointer?
        guard redisReaderGetReply(context.pointee.reader, &raw) == REDIS_OK else {
            throw RedisError.connection("protocol error")
        }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        return RedisValue(reply: raw.assumingMemoryBound(to: redisReply.self))
    }

    private static func errorMessage(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return bytes.isEmpty ? "error \(context.pointee.err)" : String(decoding: bytes, as: UTF8.self)
        }
    }
}

extension timeval {
    init(duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.init(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}

func withArgv<R>(_ buffers: [[UInt8]], _ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R) -> R {
    let pointers = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: max(buffers.count, 1))
    let lengths = UnsafeMutablePointer<Int>.allocate(capacity: max(buffers.count, 1))
    var storage: [UnsafeMutablePointer<CChar>] = []
    storage.reserveCapacity(buffers.count)
    defer {
        storage.forEach { $0.deallocate() }
        pointers.deallocate()
        lengths.deallocate()
    }
    for (index, buffer) in buffers.enumerated() {
        let copy = UnsafeMutablePointer<CChar>.allocate(capacity: max(buffer.count, 1))
        buffer.withUnsafeBytes { raw in
            if let base = raw.baseAddress { UnsafeMutableRawPointer(copy).copyMemory(from: base, byteCount: buffer.count) }
        }
        storage.append(copy)
        pointers[index] = UnsafePointer(copy)
        lengths[index] = buffer.count
    }
    return body(pointers, lengths)
}
