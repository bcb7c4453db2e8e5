import DouyinModels
import Foundation

/// One service process started with a configuration that should stop it: how it ended
/// and what it said. A misconfiguration must stop the start with a message naming the
/// setting, not retry forever.
public struct StartAttempt: Sendable {
    /// nil when the process was still running after the wait (it was then killed).
    public let status: Int32?
    public let output: String

    /// Starts `douyin-<service>` with `environment` over the repository's config and SQL
    /// folders (no other `DOUYIN_*` variables) and waits up to `wait` for it to exit.
    public static func run(
        _ service: ServiceName, environment: [String: String], wait: Duration = .seconds(15)
    ) async throws -> StartAttempt {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("start-\(service.rawValue)-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let output = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = Stack.binaryDirectory.appendingPathComponent("douyin-\(service.rawValue)")
        process.currentDirectoryURL = Stack.repositoryRoot
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("DOUYIN_") }.merging([
            "DOUYIN_CONFIG_DIR": Stack.repositoryRoot.appendingPathComponent("manifest/config").path,
            "DOUYIN_SQL_DIR": Stack.repositoryRoot.appendingPathComponent("manifest/sql").path,
        ].merging(environment) { $1 }) { $1 }
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let deadline = ContinuousClock.now + wait
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        let stillRunning = process.isRunning
        if stillRunning { kill(process.processIdentifier, SIGKILL) }
        try output.close()
        let said = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return StartAttempt(status: stillRunning ? nil : process.terminationStatus, output: said)
    }
}
