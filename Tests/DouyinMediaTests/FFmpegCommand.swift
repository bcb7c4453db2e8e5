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
