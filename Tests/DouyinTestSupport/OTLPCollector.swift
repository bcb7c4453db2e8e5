import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// A stand-in OTLP/HTTP trace collector: accepts `POST /v1/traces` JSON bodies
/// and keeps every span it receives, for tests of span export.
public final class OTLPCollector: Sendable {
    /// One received span with the `service.name` of the process that sent it.
    public struct ReceivedSpan: Sendable {
        public var service: String
        public var traceID: String
        public var spanID: String
        public var parentSpanID: String?
        public var name: String
        public var kind: Int
        public var start: UInt64
        public var end: UInt64
        public var statusCode: Int
        public var attributes: [String: String]
    }

    public let url: String
    private let spans = NIOLockedValueBox<[ReceivedSpan]>([])
    private let requests = NIOLockedValueBox(0)
    /// What the collector answers; set to 503 to play an outage.
    public let status = NIOLockedValueBox(HTTPResponse.Status.ok)
    private let task: Task<Void, any Error>

    public init() async throws {
        let port = try Stack.freePort()
        url = "http://127.0.0.1:\(port)"
        let router = Router()
        let spans = self.spans
        let requests = self.requests
        let status = self.status
        router.post("/v1/traces") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 16 << 20)
            requests.withLockedValue { $0 += 1 }
            let answer = status.withLockedValue { $0 }
            guard answer == .ok else { return Response(status: answer) }
            let received = try Self.parse(Data(buffer: body))
            spans.withLockedValue { $0 += received }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
        }
        // Quiet: the collector is stopped by cancellation, which its server would log as errors.
        var logger = Logger(label: "otlp-collector")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        task = Task { try await app.runService(gracefulShutdownSignals: []) }
        for _ in 0..<100 {
            if (try? await APIClient(baseURL: url).get("/v1/traces")) != nil { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw CollectorError("the test collector did not start")
    }

    deinit { task.cancel() }

    public var received: [ReceivedSpan] { spans.withLockedValue { $0 } }
    public var requestCount: Int { requests.withLockedValue { $0 } }

    /// Waits until `condition` holds for the spans received so far.
    public func wait(
        timeout: Duration = .seconds(10), until condition: ([ReceivedSpan]) -> Bool
    ) async throws -> [ReceivedSpan] {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            let spans = received
            if condition(spans) { return spans }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CollectorError("timed out; received \(received.map { "\($0.service) \($0.name)" })")
    }

    /// Reads an OTLP JSON export request strictly: a missing field is an error.
    static func parse(_ body: Data) throws -> [ReceivedSpan] {
        guard let root = try JSONSerialization.jsonObject(with: body) as? [String: Any],
            let resourceSpans = root["resourceSpans"] as? [[String: Any]]
        else { throw CollectorError("not an ExportTraceServiceRequest") }
        var result: [ReceivedSpan] = []
        for entry in resourceSpans {
            let resource = attributes((entry["resource"] as? [String: Any])?["attributes"])
            guard let service = resource["service.name"], let scopes = entry["scopeSpans"] as? [[String: Any]] else {
                throw CollectorError("resource without service.name")
            }
            for scope in scopes {
                for span in scope["spans"] as? [[String: Any]] ?? [] {
                    guard let traceID = span["traceId"] as? String, let spanID = span["spanId"] as? String,
                        let name = span["name"] as? String, let kind = span["kind"] as? Int,
                        let start = (span["startTimeUnixNano"] as? String).flatMap(UInt64.init),
                        let end = (span["endTimeUnixNano"] as? String).flatMap(UInt64.init),
                        let status = span["status"] as? [String: Any], let code = status["code"] as? Int
                    else { throw CollectorError("incomplete span \(span)") }
                    result.append(ReceivedSpan(
                        service: service, traceID: traceID, spanID: spanID, parentSpanID: span["parentSpanId"] as? String,
                        name: name, kind: kind, start: start, end: end, statusCode: code, attributes: attributes(span["attributes"])
                    ))
                }
            }
        }
        return result
    }

    /// OTLP key-value lists as a dictionary; int values as their decimal text.
    private static func attributes(_ list: Any?) -> [String: String] {
        var result: [String: String] = [:]
        for item in list as? [[String: Any]] ?? [] {
            guard let key = item["key"] as? String, let value = item["value"] as? [String: Any] else { continue }
            result[key] = (value["stringValue"] as? String) ?? (value["intValue"] as? String)
        }
        return result
    }

    public struct CollectorError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
