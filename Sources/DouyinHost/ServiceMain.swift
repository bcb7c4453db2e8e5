import DouyinModels
import DouyinObservability
import Foundation

/// The entry point of each executable: load the config, run the service, and on a
/// failure (a port taken, PostgreSQL unreachable after the retries) say why on
/// standard error and exit 1, instead of the crash report an error thrown out of
/// top-level code produces.
public enum ServiceMain {
    public static func run(_ service: ServiceName, _ body: (DouyinConfig) async throws -> Void) async -> Never {
        do {
            try await body(try await DouyinConfig.load(service: service))
            exit(0)
        } catch {
            LogWriter.standardOutput.flush()
            FileHandle.standardError.write(Data("douyin-\(service.rawValue): \(error)\n".utf8))
            exit(1)
        }
    }
}
