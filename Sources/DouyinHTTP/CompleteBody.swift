import DouyinModels
import DouyinRPC
import Hummingbird
import NIOCore

extension Request {
    /// The declared `Content-Length`, when there is one and it is a number.
    public var declaredContentLength: Int? {
        headers.value(of: .contentLength).flatMap { Int($0) }
    }

    /// The whole body, up to `limit` bytes, kept readable for the handler.
    ///
    /// Hummingbird ends a body whose connection was cut as if it were complete; a form
    /// cut short must not be acted on (a comment with half its text, say), so a body
    /// shorter than its `Content-Length` is refused.
    public mutating func collectCompleteBody(upTo limit: Int) async throws -> ByteBuffer {
        let body: ByteBuffer
        do {
            body = try await collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw DouyinError(.payloadTooLarge, "request body larger than \(limit) bytes")
        }
        if let declared = declaredContentLength, body.readableBytes < declared {
            throw DouyinError.bodyCutShort
        }
        return body
    }
}

extension DouyinError {
    /// The connection ended before the declared body arrived.
    public static var bodyCutShort: DouyinError {
        DouyinError(.invalidParameter, "the request body ended before its Content-Length")
    }
}
