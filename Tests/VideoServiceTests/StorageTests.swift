import DouyinTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import VideoService

/// The same contract for every backend: store, size, ranged reads, remove.
@Suite struct StorageTests {
    static let s3Endpoint = ProcessInfo.processInfo.environment["DOUYIN_TEST_S3_ENDPOINT"]
    static var s3Enabled: Bool { TestServers.inCI || s3Endpoint != nil }

    func exercise(_ storage: some MediaStorage) async throws {
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let scratch = "\(storage.scratchDirectory)/upload-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: scratch))
        let key = "v/\(Publishing.randomName()).mp4"
        try await storage.store(file: scratch, as: key)
        #expect(!FileManager.default.fileExists(atPath: scratch), "the scratch file is consumed")
        #expect(try await storage.size(of: key) == bytes.count)
        #expect(try await read(storage, key, 0...(bytes.count - 1)) == bytes)
        #expect(try await read(storage, key, 1000...1999) == Array(bytes[1000...1999]))
        try await storage.store(bytes: [0xFF, 0xD8, 0xFF], as: "c/\(Publishing.randomName()).jpg")
        await storage.remove(key)
        #expect(try await storage.size(of: key) == nil)
        await storage.remove(key)  // removing twice is fine
        await #expect(throws: StorageError.invalidKey) { try await storage.store(bytes: [1], as: "../escape") }
    }

    /// Reads through a real response body, as media serving does.
    func read(_ storage: some MediaStorage, _ key: String, _ range: ClosedRange<Int>) async throws -> [UInt8] {
        let router = Router()
        router.get("/") { _, context in Response(status: .ok, body: try await storage.read(key, range: range, context: context)) }
        return try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/", method: .get) { Array($0.body.readableBytesView) }
        }
    }

    @Test func localStorage() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("storage-\(UUID().uuidString)").path
        try await exercise(try LocalStorage(root: root))
    }

    @Test(.enabled(if: s3Enabled, "needs an S3 emulator: run Scripts/test.sh, or set DOUYIN_TEST_S3_ENDPOINT"))
    func s3Storage() async throws {
        let endpoint = try #require(Self.s3Endpoint, "DOUYIN_TEST_S3_ENDPOINT not set (run Scripts/test.sh)")
        let storage = try S3Storage(.init(
            endpoint: endpoint, bucket: "douyin-test-\(UInt32.random(in: 0 ... .max))", region: "us-east-1",
            accessKey: "test", secretKey: "test",
            scratchDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("s3-scratch").path
        ))
        try await storage.prepare()
        try await exercise(storage)
    }
}
