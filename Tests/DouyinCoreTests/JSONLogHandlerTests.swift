@testable import DouyinCore
import Foundation
import Logging
import Testing

@Suite struct JSONLogHandlerTests {
    /// Logs through a handler writing to a temp file; returns the lines as JSON objects.
    func lines(_ body: (inout Logger) -> Void) throws -> [[String: Any]] {
        let path = NSTemporaryDirectory() + "json-log-\(UUID().uuidString)"
        let descriptor = open(path, O_CREAT | O_WRONLY | O_APPEND, 0o600)
        defer { close(descriptor); unlink(path) }
        let writer = LogWriter(descriptor: descriptor)
        var logger = Logger(label: "test \"label\"") { label in JSONLogHandler(label: label, level: .debug, writer: writer) }
        body(&logger)
        writer.flush()
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
        }
    }

    @Test func writesOneJSONObjectPerRecordWithEveryField() throws {
        let records = try lines { logger in
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

    @Test func escapesWhatJSONRequiresAndKeepsUnicode() throws {
        let awkward = "quote \" backslash \\ newline \n tab \t bell \u{07} 抖音 ✓ 😀"
        let records = try lines { logger in logger.warning("\(awkward)", metadata: ["value": "\(awkward)", "number": .stringConvertible(42)]) }
        #expect(records.first?["msg"] as? String == awkward)
        #expect(records.first?["value"] as? String == awkward)
        #expect(records.first?["number"] as? String == "42")
    }
}
