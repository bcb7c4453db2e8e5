import AsyncHTTPClient
import DouyinHTTP
import Foundation
import NIOCore
import NIOHTTP1

/// A small HTTP client for the public API, as the mobile client uses it.
public struct APIClient: Sendable {
    public let baseURL: String

    public init(baseURL: String) {
        self.baseURL = baseURL
    }

    public struct Reply: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: [UInt8]

        /// The JSON object body (empty when the body is not a JSON object).
        public var json: [String: any Sendable] {
            (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: any Sendable] ?? [:]
        }

        public var statusCode: Int? { json["status_code"] as? Int }
        public var statusMessage: String? { json["status_msg"] as? String }
        public var isSuccess: Bool { status == 200 && statusCode == 0 }
        /// A failure as the contract requires: JSON envelope, non-zero code, message, no 5xx.
        public var isCleanFailure: Bool {
            status < 500 && (statusCode ?? 0) != 0 && !(statusMessage ?? "").isEmpty
                && headers.first(name: "content-type") == "application/json; charset=utf-8"
        }
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public func get(_ path: String, _ query: [(String, String)] = [], headers: [(String, String)] = []) async throws -> Reply {
        try await send(.GET, path, query: query, headers: headers)
    }

    public func post(_ path: String, _ query: [(String, String)] = [], headers: [(String, String)] = []) async throws -> Reply {
        try await send(.POST, path, query: query, headers: headers)
    }

    /// Sends a request; `form` becomes an `application/x-www-form-urlencoded` body.
    public func send(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], form: [(String, String)]? = nil,
        headers: [(String, String)] = [], body: ByteBuffer? = nil, timeout: TimeAmount = .seconds(30)
    ) async throws -> Reply {
        var url = baseURL + path
        if !query.isEmpty { url += "?" + Self.encode(query) }
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let form {
            request.headers.replaceOrAdd(name: "content-type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: Self.encode(form)))
        } else if let body {
            request.body = .bytes(body)
        }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Array(bytes.readableBytesView))
    }

    /// `POST /douyin/publish/action/` with a multipart body: the file part `data` and text fields.
    public func upload(_ file: [UInt8]?, fields: [(String, String)], query: [(String, String)] = []) async throws -> Reply {
        let boundary = "douyin-test-\(UInt64.random(in: .min ... .max))"
        return try await send(
            .POST, "/douyin/publish/action/", query: query,
            headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")],
            body: Self.multipart(file, fields: fields, boundary: boundary)
        )
    }

    /// A `multipart/form-data` body as a client sends an upload: text fields, then the file part `data`.
    public static func multipart(_ file: [UInt8]?, fields: [(String, String)], boundary: String) -> ByteBuffer {
        var body = ByteBuffer()
        for (name, value) in fields {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        if let file {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"data\"; filename=\"clip.mp4\"\r\n")
            body.writeString("Content-Type: video/mp4\r\n\r\n")
            body.writeBytes(file)
            body.writeString("\r\n")
        }
        body.writeString("--\(boundary)--\r\n")
        return body
    }

    public static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(percentEncode($0.0))=\(percentEncode($0.1))" }.joined(separator: "&")
    }

    public static func percentEncode(_ text: String) -> String {
        FormURLEncoding.percentEncode(text)
    }
}
