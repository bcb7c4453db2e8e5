import Logging

/// The one JSON line written per answered request, in the format of `JSONLogHandler`.
///
/// Every request writes one in every process it crosses. Through swift-log each
/// line built a metadata dictionary, merged it with the logger's and the task's
/// and formatted every value through `description`: about a tenth of a process's
/// user-info throughput. Here the parts that never change (logger, service,
/// instance) are encoded once and a line appends only the request's own fields.
public struct AccessLog: Sendable {
    private let fixedFields: [UInt8]
    private let isEnabled: Bool
    private let writer: LogWriter

    /// Lines carry `label` and `metadata` like the process's logger; none are written below `info`.
    public init(label: String, metadata: Logger.Metadata, level: Logger.Level) {
        self.init(label: label, metadata: metadata, level: level, writer: .standardOutput)
    }

    init(label: String, metadata: Logger.Metadata, level: Logger.Level, writer: LogWriter) {
        var fields = Array(#","logger":"#.utf8)
        JSONLogHandler.appendQuoted(label, to: &fields)
        fields.append(contentsOf: #","msg":"request""#.utf8)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            JSONLogHandler.appendField(key, value, to: &fields)
        }
        self.fixedFields = fields
        self.isEnabled = level <= .info
        self.writer = writer
    }

    /// Writes nothing: for routers outside a service process (tests).
    public static let disabled = AccessLog(label: "", metadata: [:], level: .critical)

    package func record(
        requestID: String, traceID: String, method: String, path: String, client: String? = nil, status: Int, duration: Duration
    ) {
        guard isEnabled else { return }
        var line: [UInt8] = []
        line.reserveCapacity(320 + path.utf8.count)
        line.append(contentsOf: #"{"ts":""#.utf8)
        JSONLogHandler.appendTimestamp(to: &line)
        line.append(contentsOf: #"","level":"info""#.utf8)
        line.append(contentsOf: fixedFields)
        for (key, value) in [("request_id", requestID), ("trace_id", traceID), ("method", method), ("path", path), ("client", client ?? "")] {
            line.append(contentsOf: #",""#.utf8)
            line.append(contentsOf: key.utf8)
            line.append(contentsOf: #"":"#.utf8)
            JSONLogHandler.appendQuoted(value, to: &line)
        }
        line.append(contentsOf: #","status":""#.utf8)
        line.append(contentsOf: String(status).utf8)
        line.append(contentsOf: #"","duration_ms":""#.utf8)
        line.append(contentsOf: Self.milliseconds(duration).utf8)
        line.append(contentsOf: "\"}\n".utf8)
        writer.append(line)
    }

    /// Milliseconds with three decimals, e.g. `12.345`, by integer arithmetic.
    static func milliseconds(_ duration: Duration) -> String {
        let micros = max(0, duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000)
        let fraction = String(micros % 1000)
        return "\(micros / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
