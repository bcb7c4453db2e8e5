import DouyinCore
import DouyinModels

/// `douyin-chat`: messages and live chat sessions.
public enum ChatService {
    public static func run(config: DouyinConfig) async throws {
        let host = try await ServiceHost(config: config)
        try await host.run(host.makeRouter())
    }
}
