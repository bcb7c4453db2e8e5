import Foundation

/// The `ffmpeg` command, a test tool here (the service links the libraries): makes inputs.
enum FFmpegCommand {
    struct Failed: Error {}

    /// Runs `ffmpeg` with `arguments`, writing `path`; throws unless it succeeds.
    static func make(_ arguments: [String], at path: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        process.arguments = ["-v", "error", "-y"] + arguments + [path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failed() }
    }
}

/// Runs `body` on a thread of its own. Seconds of encoding on one of the test runner's
/// few cooperative threads (two on a 2-core machine) would stall every other test's
/// tasks meanwhile, and a test elsewhere with a deadline would fail for it.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
