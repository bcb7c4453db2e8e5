import ChatService
import DouyinCore

let config = try await DouyinConfig.load(service: .chat)
try await ChatService.run(config: config)
