import DouyinModels
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Writes each log record as one JSON object per line on standard output.
///
/// Every request writes an access-log line in every process it crosses, so
/// this is on the hot path: the line is built as UTF-8 bytes by hand (no
/// JSONSerialization, no date formatter, no per-character String appends) and
/// handed whole to `LogWriter`, so lines from different threads never interleave.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    /// Asked only when a line is written; supplies the request's ids (see `Observability`).
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let writer: LogWriter

    public init(label: String, level: Logger.Level, metadataProvider: Logger.MetadataProvider? = nil) {
        self.init(label: label, level: level, metadataProvider: metadataProvider, writer: .standardOutput)
    }

    init(label: String, level: Logger.Level, metadataProvider: Logger.MetadataProvider? = nil, writer: LogWriter) {
        self.label = label
        self.logLevel = level
        self.metadataProvider = metadataProvider
        self.writer = writer
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line: [UInt8] = []
        line.reserveCapacity(384)
        line.append(contentsOf: #"{"ts":""#.utf8)
        Self.appendTimestamp(to: &line)
        line.append(contentsOf: #"","level":""#.utf8)
        line.append(contentsOf: event.level.rawValue.utf8)
        line.append(contentsOf: #"","logger":"#.utf8)
        Self.appendQuoted(label, to: &line)
        line.append(contentsOf: #","msg":"#.utf8)
        Self.appendQuoted(event.message.description, to: &line)
        let provided = metadataProvider?.get() ?? [:]
        for (key, value) in metadata where event.metadata?[key] == nil && provided[key] == nil {
            Self.appendField(key, value, to: &line)
        }
        for (key, value) in provided where event.metadata?[key] == nil {
            Self.appendField(key, value, to: &line)
        }
        for (key, value) in event.metadata ?? [:] {
            Self.appendField(key, value, to: &line)
        }
        line.append(contentsOf: "}\n".utf8)
        writer.append(line, wait: event.level >= .warning)
    }

    static func appendField(_ key: String, _ value: Logger.Metadata.Value, to line: inout [UInt8]) {
        line.append(UInt8(ascii: ","))
        appendQuoted(key, to: &line)
        line.append(UInt8(ascii: ":"))
        switch value {
        case .string(let text): appendQuoted(text, to: &line)
        default: appendQuoted(value.description, to: &line)
        }
    }

    /// A JSON string: quotes, backslashes and control characters escaped, all else as UTF-8.
    static func appendQuoted(_ text: String, to line: inout [UInt8]) {
        JSONWriter.appendQuoted(text, to: &line)
    }

    /// UTC ISO 8601 with milliseconds, e.g. `2026-01-02T03:04:05.678Z`.
    static func appendTimestamp(to line: inout [UInt8]) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            while divisor > 0 {
                line.append(UInt8(ascii: "0") + UInt8((value / divisor) % 10))
                divisor /= 10
            }
        }
        digits(Int(parts.tm_year) + 1900, 4)
        line.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2)
        line.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2)
        line.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2)
        line.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2)
        line.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2)
        line.append(UInt8(ascii: "."))
        digits(now.tv_nsec / 1_000_000, 3)
        line.append(UInt8(ascii: "Z"))
    }
}
