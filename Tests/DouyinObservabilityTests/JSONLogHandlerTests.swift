@testable import DouyinObservability
import Foundation
import Logging
import Testing

@Suite struct JSONLogHandlerTests {
    /// Logs through a handler writing to a temp file; returns the lines as JSON objects.
    func lines(_ body: (inout Logger) async -> Void) async throws -> [[String: Any]] {
        let path = NSTemporaryDirectory() + "json-log-\(UUID().uuidString)"
        let descriptor = open(path, O_CREAT | O_WRONLY | O_APPEND, 0o600)
        defer { close(descriptor); unlink(path) }
        let writer = LogWriter(descriptor: descriptor)
        var logger = Logger(label: "test \"label\"") { label in
            JSONLogHandler(label: label, level: .debug, metadataProvider: Observability.requestIdentity, writer: writer)
        }
        await body(&logger)
        writer.flush()
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
        }
    }

    @Test func writesOneJSONObjectPerRecordWithEveryField() async throws {
        let records = try await lines { logger in
            logger[metadataKey: "request_id"] = "r1"
            logger.info("request", metadata: ["status": "200", "request_id": "overridden"])
            logger.debug("second")
        }
        try #require(records.count == 2)
        #expect(records[0]["msg"] as? String == "request" && records[0]["level"] as? String == "info")
        #expect(records[0]["logger"] as? String == "test \"label\"")
        #expect(records[0]["status"] as? String == "200" && records[0]["request_id"] as? String == "overridden")
        #expect(records[1]["request_id"] as? String == "r1")
        let timestamp = try #require(records[0]["ts"] as? String)
        #expect(timestamp.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil, "\(timestamp)")
    }

    /// Lines logged while a request or RPC is served carry its ids, taken from the call context.
    @Test func linesInsideACallCarryItsRequestAndTraceIDs() async throws {
        let trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        let records = try await lines { logger in
            await RPCCallContext.$current.withValue(RPCCallContext(requestID: "req-1", traceparent: trace)) {
                logger.info("inside")
            }
            logger.info("outside")
        }
        try #require(records.count == 2)
        #expect(records[0]["request_id"] as? String == "req-1")
        #expect(records[0]["trace_id"] as? String == "0af7651916cd43dd8448eb211c80319c")
        #expect(records[1]["request_id"] == nil && records[1]["trace_id"] == nil)
    }

    @Test func escapesWhatJSONRequiresAndKeepsUnicode() async throws {
        let awkward = "quote \" backslash \\ newline \n tab \t bell \u{07} 抖音 ✓ 😀"
        let records = try await lines { logger in logger.warning("\(awkward)", metadata: ["value": "\(awkward)", "number": .stringConvertible(42)]) }
        #expect(records.first?["msg"] as? String == awkward)
        #expect(records.first?["value"] as? String == awkward)
        #expect(records.first?["number"] as? String == "42")
    }

    @Test func accessLogDurationsAreMillisecondsWithThreeDecimals() {
        #expect(AccessLog.milliseconds(.microseconds(1_878)) == "1.878")
        #expect(AccessLog.milliseconds(.microseconds(12_005)) == "12.005")
        #expect(AccessLog.milliseconds(.nanoseconds(999)) == "0.000")
        #expect(AccessLog.milliseconds(.seconds(2)) == "2000.000")
    }

    /// The access line has the fields of a line logged through the handler, and JSON-safe values.
    @Test func accessLinesAreJSONWithTheRequestsFields() throws {
        let path = NSTemporaryDirectory() + "access-log-\(UUID().uuidString)"
        let descriptor = open(path, O_CREAT | O_WRONLY | O_APPEND, 0o600)
        defer { close(descriptor); unlink(path) }
        let writer = LogWriter(descriptor: descriptor)
        let metadata: Logger.Metadata = ["service": "user", "instance": "user-1"]
        let log = AccessLog(label: "douyin-user", metadata: metadata, level: .info, writer: writer)
        log.record(requestID: "r1", traceID: "t1", method: "GET", path: "/douyin/user/\"✓", client: "203.0.113.7", status: 200, duration: .microseconds(1_500))
        AccessLog(label: "quiet", metadata: [:], level: .warning, writer: writer)
            .record(requestID: "r2", traceID: "", method: "GET", path: "/", status: 200, duration: .zero)
        writer.flush()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        try #require(lines.count == 1)
        let record = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: String])
        #expect(record["logger"] == "douyin-user" && record["msg"] == "request" && record["level"] == "info")
        #expect(record["service"] == "user" && record["instance"] == "user-1")
        #expect(record["request_id"] == "r1" && record["trace_id"] == "t1" && record["method"] == "GET")
        #expect(record["client"] == "203.0.113.7")
        #expect(record["path"] == "/douyin/user/\"✓" && record["status"] == "200" && record["duration_ms"] == "1.500")
        #expect(record["ts"]?.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil)
    }
}
