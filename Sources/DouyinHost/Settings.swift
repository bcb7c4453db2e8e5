import Configuration
import Foundation
import NIOConcurrencyHelpers

/// Reads settings strictly, and remembers which it read.
///
/// A value that is set but does not parse, or lies outside what the setting allows,
/// stops the process at start with the variable's name and the value (a typo in a
/// port must not quietly serve on the default). The keys read are kept, so that a
/// `DOUYIN_*` variable nothing read (a misspelt setting) is reported at start.
///
/// A key `a.b_c` is the variable `DOUYIN_A_B_C`, else `a: b_c:` in the mode's YAML file.
public final class Settings: Sendable {
    let reader: ConfigReader
    private let read = NIOLockedValueBox<Set<String>>([])

    /// Variables the process reads itself, and those meant for the scripts that start it.
    static let otherVariables: Set<String> = [
        "DOUYIN_MODE", "DOUYIN_CONFIG_DIR", "DOUYIN_BUILD", "DOUYIN_NO_BUILD", "DOUYIN_PG_FSYNC", "DOUYIN_PG_PORT",
        "DOUYIN_PACKAGES",
    ]
    /// Settings only some services read: a stack started with one environment for all
    /// gives every process these, and they are not typos there. (A test checks that every
    /// key the sources read is either read by every process or listed here.)
    public static let serviceSettings: Set<String> = [
        "gateway.connect_timeout_ms", "gateway.rate_per_address", "gateway.max_in_flight", "docs_dir",
        "chat.max_frame_bytes", "chat.ping_seconds", "chat.outbox_messages", "kdf.threads", "auth.key_rotation_seconds",
        "storage.backend", "storage.local_dir", "storage.s3.endpoint", "storage.s3.bucket", "storage.s3.region",
        "storage.s3.access_key", "storage.s3.secret_key", "storage.scratch_dir", "reconcile.interval_seconds", "reconcile.batch_size",
        "transcode.workers", "transcode.lease_seconds", "transcode.max_attempts", "transcode.retry_seconds",
    ]
    static let scriptPrefixes = ["DOUYIN_TEST_", "DOUYIN_FUZZ_", "DOUYIN_BENCH"]

    init(reader: ConfigReader) {
        self.reader = reader
    }

    /// The environment variable that sets `key`.
    public static func variable(_ key: String) -> String {
        "DOUYIN_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    public func int(_ key: String, default value: Int, in range: ClosedRange<Int> = .min ... .max) throws -> Int {
        try number(key, default: value, in: range, kind: "a whole number") { reader.int(forKey: $0) }
    }

    public func double(_ key: String, default value: Double, in range: ClosedRange<Double>) throws -> Double {
        try number(key, default: value, in: range, kind: "a number") { reader.double(forKey: $0) }
    }

    private func number<Value: Comparable>(
        _ key: String, default value: Value, in range: ClosedRange<Value>, kind: String, parse: (ConfigKey) -> Value?
    ) throws -> Value {
        read.withLockedValue { _ = $0.insert(key) }
        let found: Value
        if let parsed = parse(ConfigKey(key)) {
            found = parsed
        } else if let raw = reader.string(forKey: ConfigKey(key)) {
            throw invalid(key, raw, "is not \(kind)")
        } else {
            return value
        }
        guard range.contains(found) else { throw invalid(key, "\(found)", "must be within \(range.lowerBound)...\(range.upperBound)") }
        return found
    }

    /// The text at `key`; an empty value counts as unset.
    public func string(_ key: String, isSecret: Bool = false) -> String? {
        read.withLockedValue { _ = $0.insert(key) }
        return reader.string(forKey: ConfigKey(key), isSecret: isSecret).flatMap { $0.isEmpty ? nil : $0 }
    }

    public func string(_ key: String, isSecret: Bool = false, default value: String) -> String {
        string(key, isSecret: isSecret) ?? value
    }

    /// A value `parse` understands, if set; what it throws is reported with the variable.
    public func parsed<T>(_ key: String, _ parse: (String) throws -> T) throws -> T? {
        guard let value = string(key) else { return nil }
        do {
            return try parse(value)
        } catch {
            throw invalid(key, value, "is invalid: \(error)")
        }
    }

    /// One of `choices` (case as given).
    public func choice(_ key: String, default value: String, among choices: [String]) throws -> String {
        try choice(key, among: choices) ?? value
    }

    /// One of `choices` (case as given), if set.
    public func choice(_ key: String, among choices: [String]) throws -> String? {
        guard let found = string(key) else { return nil }
        guard choices.contains(found) else { throw invalid(key, found, "must be one of \(choices.joined(separator: ", "))") }
        return found
    }

    /// The path of a file this process can read, if set: a certificate named wrong fails
    /// the start here rather than at the first connection.
    public func readableFile(_ key: String) throws -> String? {
        guard let path = string(key) else { return nil }
        guard FileManager.default.isReadableFile(atPath: path) else { throw invalid(key, path, "is not a file this process can read") }
        return path
    }

    /// `DOUYIN_*` variables of `environment` that name no setting read so far.
    public func unknownVariables(in environment: [String: String]) -> [String] {
        let known = Set(read.withLockedValue { $0 }.union(Self.serviceSettings).map(Self.variable)).union(Self.otherVariables)
        return environment.keys.filter { name in
            name.hasPrefix("DOUYIN_") && !known.contains(name) && !Self.scriptPrefixes.contains { name.hasPrefix($0) }
        }.sorted()
    }

    private func invalid(_ key: String, _ value: String, _ problem: String) -> ConfigError {
        .invalid("\(Self.variable(key)) (\(key)) = \"\(value)\" \(problem)")
    }
}
