import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import _NIOFileSystem

/// Media in an S3-compatible bucket, path-style (`<endpoint>/<bucket>/<key>`),
/// every request signed with SigV4. Bodies stream both ways; nothing is held
/// whole in memory.
public struct S3Storage: MediaStorage {
    public struct Configuration: Sendable {
        public var endpoint: String
        public var bucket: String
        public var region: String
        public var accessKey: String
        public var secretKey: String
        public var scratchDirectory: String

        public init(endpoint: String, bucket: String, region: String, accessKey: String, secretKey: String, scratchDirectory: String) {
            self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
            self.bucket = bucket
            self.region = region
            self.accessKey = accessKey
            self.secretKey = secretKey
            self.scratchDirectory = scratchDirectory
        }
    }

    let configuration: Configuration
    let signer: S3Signer
    let client: HTTPClient
    let host: String

    public init(_ configuration: Configuration, client: HTTPClient = .shared) throws {
        guard let url = URL(string: configuration.endpoint), let host = url.host else { throw S3Error.badEndpoint }
        self.configuration = configuration
        self.signer = S3Signer(accessKey: configuration.accessKey, secretKey: configuration.secretKey, region: configuration.region)
        self.client = client
        self.host = url.port.map { "\(host):\($0)" } ?? host
        try FileManager.default.createDirectory(atPath: configuration.scratchDirectory, withIntermediateDirectories: true)
    }

    public var scratchDirectory: String { configuration.scratchDirectory }

    /// Creates the bucket unless it exists.
    public func prepare() async throws {
        let response = try await send("PUT", path: "/\(configuration.bucket)")
        guard response.status == .ok || response.status == .conflict else { throw S3Error.status(response.status.code) }
    }

    public func store(file path: String, as key: String) async throws {
        guard let info = try await FileSystem.shared.info(forFileAt: FilePath(path)) else { throw S3Error.missingFile }
        try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
            let response = try await send("PUT", key: key, body: .stream(handle.readChunks(), length: .known(info.size)))
            guard response.status == .ok else { throw S3Error.status(response.status.code) }
        }
        try await FileSystem.shared.removeItem(at: FilePath(path))
    }

    public func store(bytes: [UInt8], as key: String) async throws {
        let response = try await send("PUT", key: key, body: .bytes(ByteBuffer(bytes: bytes)))
        guard response.status == .ok else { throw S3Error.status(response.status.code) }
    }

    public func remove(_ key: String) async {
        _ = try? await send("DELETE", key: key)
    }

    public func size(of key: String) async throws -> Int? {
        let response = try await send("HEAD", key: key)
        if response.status == .notFound { return nil }
        guard response.status == .ok, let length = response.headers.first(name: "content-length").flatMap(Int.init) else {
            throw S3Error.status(response.status.code)
        }
        return length
    }

    public func read(_ key: String, range: ClosedRange<Int>, context: some RequestContext) async throws -> ResponseBody {
        let response = try await send("GET", key: key, headers: [("range", "bytes=\(range.lowerBound)-\(range.upperBound)")])
        guard response.status == .ok || response.status == .partialContent else { throw S3Error.status(response.status.code) }
        return ResponseBody(asyncSequence: response.body)
    }

    public func withLocalFile<T: Sendable>(_ key: String, _ body: (String) async throws -> T) async throws -> T {
        let path = "\(scratchDirectory)/fetch-\(UInt64.random(in: .min ... .max))"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let response = try await send("GET", key: key)
        guard response.status == .ok else { throw S3Error.status(response.status.code) }
        try await FileSystem.shared.withFileHandle(forWritingAt: FilePath(path), options: .newFile(replaceExisting: false)) { handle in
            var offset: Int64 = 0
            for try await chunk in response.body {
                offset += Int64(try await handle.write(contentsOf: chunk.readableBytesView, toAbsoluteOffset: offset))
            }
        }
        return try await body(path)
    }

    private func send(
        _ method: String, key: String, headers: [(String, String)] = [], body: HTTPClientRequest.Body? = nil
    ) async throws -> HTTPClientResponse {
        guard StorageKey.isValid(key) else { throw StorageError.invalidKey }
        return try await send(method, path: "/\(configuration.bucket)/\(key)", headers: headers, body: body)
    }

    private func send(
        _ method: String, path: String, headers: [(String, String)] = [], body: HTTPClientRequest.Body? = nil
    ) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: configuration.endpoint + path)
        request.method = HTTPMethod(rawValue: method)
        let toSign = [("host", host)] + headers
        for (name, value) in headers + signer.sign(method: method, path: path, headers: toSign) {
            request.headers.add(name: name, value: value)
        }
        if let body { request.body = body }
        return try await client.execute(request, timeout: .seconds(300))
    }
}

public enum S3Error: Error {
    case badEndpoint
    case missingFile
    case status(UInt)
}
