#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import NIOCore

/// A streaming `multipart/form-data` parser (RFC 2046 section 5.1, RFC 7578) that
/// never traps on what a client sends: every malformed byte sequence is a thrown
/// `MultipartReader.Malformed`.
///
/// Bytes arrive in chunks of any size; parts come out as callbacks, their bodies
/// in pieces as they arrive, so an upload is never held in memory. Only a part's
/// header block (bounded by `maxHeaderBytes`) and the few bytes that might begin
/// the next delimiter are kept between chunks.
///
///     let reader = MultipartReader(boundary: boundary)
///     reader.onHeader = { name, value in ... }
///     reader.onBody = { bytes in ... }
///     reader.onPartComplete = { ... }
///     for try await chunk in body { try reader.read(chunk) }
///     try reader.finish()
public final class MultipartReader {
    public struct Malformed: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    public var onHeader: (_ name: String, _ value: String) -> Void = { _, _ in }
    public var onBody: (_ bytes: ByteBuffer) -> Void = { _ in }
    public var onPartComplete: () -> Void = {}

    private enum State {
        /// Before the first delimiter: the preamble, ignored.
        case preamble
        /// Just after a delimiter: `--` closes the body, else padding and CRLF open a part.
        case afterDelimiter
        /// A part's header block, up to the empty line.
        case headers
        case body
        /// After the close delimiter: the epilogue, ignored.
        case epilogue
    }

    private var state = State.preamble
    /// `CRLF--boundary`: what ends a part's body.
    private let delimiter: [UInt8]
    private let maxHeaderBytes: Int
    private var pending = ByteBuffer()

    /// - Parameters:
    ///   - boundary: the `boundary` parameter of the content type (1 to 70 characters by RFC 2046).
    ///   - maxHeaderBytes: the largest header block of one part.
    public init(boundary: String, maxHeaderBytes: Int = 8 * 1024) {
        delimiter = Array("\r\n--\(boundary)".utf8)
        self.maxHeaderBytes = maxHeaderBytes
    }

    /// Parses the next chunk of the body.
    public func read(_ chunk: ByteBuffer) throws(Malformed) {
        var chunk = chunk
        pending.writeBuffer(&chunk)
        while try step() {}
        if pending.readerIndex > 4096 { pending.discardReadBytes() }
    }

    /// The body ended: it must have ended with the close delimiter.
    public func finish() throws(Malformed) {
        guard case .epilogue = state else { throw Malformed(description: "the body ends before its closing boundary") }
    }

    /// Advances by one unit of work; false when more bytes are needed.
    private func step() throws(Malformed) -> Bool {
        switch state {
        case .preamble:
            // The first delimiter may open the body without the CRLF before it.
            let opening = delimiter.dropFirst(2)
            guard pending.readableBytes >= opening.count else { return false }
            if pending.readableBytesView.starts(with: opening) {
                pending.moveReaderIndex(forwardBy: opening.count)
                state = .afterDelimiter
                return true
            }
            return skipPreamble()
        case .afterDelimiter:
            let view = pending.readableBytesView
            guard view.count >= 2 else { return false }
            if view.starts(with: [UInt8(ascii: "-"), UInt8(ascii: "-")]) {
                pending.moveReaderIndex(forwardBy: 2)
                state = .epilogue
                return true
            }
            // Transport padding (RFC 2046: linear white space) before the line break.
            guard let lineEnd = view.firstIndex(of: UInt8(ascii: "\n")) else {
                guard view.count <= 256 else { throw Malformed(description: "no line break after a boundary") }
                return false
            }
            let line = view[view.startIndex..<lineEnd]
            guard line.last == UInt8(ascii: "\r"), line.dropLast().allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) else {
                throw Malformed(description: "unexpected bytes after a boundary")
            }
            pending.moveReaderIndex(forwardBy: line.count + 1)
            state = .headers
            return true
        case .headers:
            let view = pending.readableBytesView
            // No headers at all: the empty line comes first.
            if view.starts(with: [13, 10]) {
                pending.moveReaderIndex(forwardBy: 2)
                state = .body
                return true
            }
            guard let end = Self.offset(of: [13, 10, 13, 10], in: pending) else {
                guard view.count <= maxHeaderBytes else { throw Malformed(description: "part headers larger than \(maxHeaderBytes) bytes") }
                return false
            }
            guard end <= maxHeaderBytes else { throw Malformed(description: "part headers larger than \(maxHeaderBytes) bytes") }
            for line in view.prefix(end).split(separator: [13, 10], omittingEmptySubsequences: false) {
                let (name, value) = try Self.header(line)
                onHeader(name, value)
            }
            pending.moveReaderIndex(forwardBy: end + 4)
            state = .body
            return true
        case .body:
            let view = pending.readableBytesView
            if let found = Self.offset(of: delimiter, in: pending) {
                if found > 0 { onBody(pending.readSlice(length: found)!) }
                pending.moveReaderIndex(forwardBy: delimiter.count)
                onPartComplete()
                state = .afterDelimiter
                return true
            }
            // Everything but what could be the start of a delimiter split by the chunk.
            let keep = min(view.count, delimiter.count - 1)
            if view.count > keep { onBody(pending.readSlice(length: view.count - keep)!) }
            return false
        case .epilogue:
            pending.moveReaderIndex(to: pending.writerIndex)
            return false
        }
    }

    /// Drops preamble bytes up to the next CRLF-led delimiter, or all but a possible partial one.
    private func skipPreamble() -> Bool {
        let view = pending.readableBytesView
        if let found = Self.offset(of: delimiter, in: pending) {
            pending.moveReaderIndex(forwardBy: found + delimiter.count)
            state = .afterDelimiter
            return true
        }
        let keep = min(view.count, delimiter.count - 1)
        pending.moveReaderIndex(forwardBy: view.count - keep)
        return false
    }

    /// `name: value`, the name a token (RFC 9110), the value any text but NUL, as UTF-8.
    private static func header(_ line: ByteBufferView.SubSequence) throws(Malformed) -> (String, String) {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
            line[line.startIndex..<colon].allSatisfy(isTokenCharacter)
        else { throw Malformed(description: "malformed part header") }
        var value = line[line.index(after: colon)...]
        while let first = value.first, first == 32 || first == 9 { value = value.dropFirst() }
        while let last = value.last, last == 32 || last == 9 { value = value.dropLast() }
        guard !value.contains(0), let text = String(validating: value, as: UTF8.self) else {
            throw Malformed(description: "part header value is not text")
        }
        return (String(decoding: line[line.startIndex..<colon], as: UTF8.self), text)
    }

    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    /// Where `needle` first occurs in the readable bytes of `buffer`, from the reader index.
    private static func offset(of needle: [UInt8], in buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { bytes -> Int? in
            guard let first = needle.first, bytes.count >= needle.count else { return nil }
            var start = 0
            let last = bytes.count - needle.count
            while start <= last {
                // The first byte by memchr, the rest compared in place.
                guard let hit = memchr(bytes.baseAddress! + start, Int32(first), last - start + 1) else { return nil }
                let at = UnsafeRawPointer(hit) - bytes.baseAddress!
                if needle.withUnsafeBytes({ memcmp(bytes.baseAddress! + at, $0.baseAddress!, needle.count) == 0 }) { return at }
                start = at + 1
            }
            return nil
        }
    }
}
