import DouyinModels
import DouyinRPC
import Foundation
import Hummingbird
import NIOCore
import NIOFoundationCompat

/// A successful answer: `status_code` 0 and `status_msg` beside the payload's
/// fields, with the content type API.md section 2 requires.
public struct APIResponse<Body: Encodable & Sendable>: ResponseGenerator {
    public var body: Body
    public var status: HTTPResponse.Status
    public var headers: HTTPFields

    public init(_ body: Body, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) {
        self.body = body
        self.status = status
        self.headers = headers
    }

    /// An answer the gateway may repeat while these versions hold (`AnswerValidity`).
    public init(_ body: Body, validity: AnswerValidity?) {
        self.init(body, headers: validity.map { [.douyinValidWhile: $0.headerValue] } ?? [:])
    }

    /// The versions this answer holds for, if it names them.
    public var validity: AnswerValidity? {
        headers[.douyinValidWhile].flatMap(AnswerValidity.init(headerValue:))
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = Response.jsonContentType
        return Response(status: status, headers: fields, body: .init(byteBuffer: Response.encodeSuccess(body)))
    }
}

/// A successful answer encoded once and sent many times: a cached page skips
/// JSON encoding on every request it answers.
public struct EncodedAPIResponse: ResponseGenerator, Sendable {
    public let bytes: ByteBuffer

    public init(_ body: some Encodable) {
        bytes = Response.encodeSuccess(body)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: .ok, headers: [.contentType: Response.jsonContentType], body: .init(byteBuffer: bytes))
    }
}

/// An encoded answer with the content versions it was built at, which the gateway
/// may repeat to the same request while they hold (`AnswerValidity`).
public struct ValidatedAnswer: ResponseGenerator, Sendable {
    public let encoded: EncodedAPIResponse
    /// Nil when the versions could not be read: then nobody may repeat the answer.
    public let validity: AnswerValidity?

    public init(_ encoded: EncodedAPIResponse, validity: AnswerValidity?) {
        self.encoded = encoded
        self.validity = validity
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try encoded.response(from: request, context: context)
        if let validity { response.headers[.douyinValidWhile] = validity.headerValue }
        return response
    }
}

/// The envelope fields, then the payload's own fields, in one JSON object.
struct Success<Payload: Encodable>: Encodable {
    let payload: Payload

    func encode(to encoder: any Encoder) throws {
        try StatusEnvelope().encode(to: encoder)
        try payload.encode(to: encoder)
    }
}

extension Response {
    public static let jsonContentType = "application/json; charset=utf-8"

    /// A JSON response; encoding our own wire types cannot fail, so failure is a programming error.
    public static func json(_ body: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = jsonContentType
        return Response(status: status, headers: fields, body: .init(byteBuffer: encodeJSON(body)))
    }

    /// `{"status_code":0,"status_msg":"",` and the payload's fields.
    static func encodeSuccess(_ body: some Encodable) -> ByteBuffer {
        guard let writable = body as? any JSONObjectWritable else { return encodedByFoundation(Success(payload: body)) }
        return successBytes(writable)
    }

    private static func successBytes(_ body: some JSONObjectWritable) -> ByteBuffer {
        var writer = JSONWriter(capacity: 64 + body.jsonSizeHint)
        writer.object { writer in
            StatusEnvelope().writeFields(to: &writer)
            body.writeFields(to: &writer)
        }
        return ByteBuffer(bytes: writer.bytes)
    }

    static func encodeJSON(_ body: some Encodable) -> ByteBuffer {
        // Our wire models write themselves (`JSONWriter`); the encoder is for anything else.
        if let writable = body as? any JSONObjectWritable { return ByteBuffer(bytes: writable.jsonBytes) }
        return encodedByFoundation(body)
    }

    private static func encodedByFoundation(_ body: some Encodable) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes  // URLs stay readable: "http://", not "http:\/\/"
        let data = (try? encoder.encode(body)) ?? Data(#"{"status_code":50000,"status_msg":"internal error"}"#.utf8)
        return ByteBuffer(data: data)
    }

    /// The error envelope for `error`, with the HTTP status its code maps to.
    public static func error(_ error: DouyinError) -> Response {
        let answer = error.answer
        return Response(status: answer.status, headers: answer.headers, body: .init(byteBuffer: answer.body))
    }

    /// `{"status_code":0,"status_msg":""}`.
    public static var success: Response { .json(StatusEnvelope()) }
}

extension DouyinError {
    /// The error envelope with the HTTP status its code maps to, as the parts of an answer.
    public var answer: (status: HTTPResponse.Status, headers: HTTPFields, body: ByteBuffer) {
        var headers: HTTPFields = [.contentType: Response.jsonContentType]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return (.init(code: code.httpStatus), headers, Response.encodeJSON(StatusEnvelope(self)))
    }
}
