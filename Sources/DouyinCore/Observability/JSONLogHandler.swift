import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Writes each log record as one JSON object per line on standard output.
///
/// Every request writes an access-log line, so this is on the hot path: the
/// line is built by hand (no JSONSerialization, no date formatter) and handed
/// whole to `LogWriter`, so lines from different threads never interleave.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String

    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = "{\"ts\":\""
        line.reserveCapacity(256)
        Self.appendTimestamp(to: &line)
        line += "\",\"level\":\"\(event.level.rawValue)\",\"logger\":"
        Self.appendQuoted(label, to: &line)
        line += ",\"msg\":"
        Self.appendQuoted(event.message.description, to: &line)
        for (key, value) in metadata where event.metadata?[key] == nil {
            Self.appendField(key, value, to: &line)
        }
        for (key, value) in event.metadata ?? [:] {
            Self.appendField(key, value, to: &line)
        }
        line += "}\n"
        LogWriter.standardOutput.append(line, wait: event.level >= .warning)
    }

    private static func appendField(_ key: String, _ value: Logger.Metadata.Value, to line: inout String) {
        line += ","
        appendQuoted(key, to: &line)
        line += ":"
        appendQuoted(value.description, to: &line)
    }

    static func appendQuoted(_ text: String, to line: inout String) {
        line += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case _ where scalar.value < 0x20:
                line += "\\u00" + String(scalar.value >> 4, radix: 16) + String(scalar.value & 0xF, radix: 16)
            default: line.unicodeScalars.append(scalar)
            }
        }
        line += "\""
    }

    /// UTC ISO 8601 with milliseconds, e.g. `2026-01-02T03:04:05.678Z`.
    static func appendTimestamp(to line: inout String) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millis = now.tv_nsec / 1_000_000
        line += "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
        line += "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))."
        line += millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        line += "Z"
    }
}
