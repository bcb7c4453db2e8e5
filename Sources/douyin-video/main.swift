import VideoService
import DouyinCore

let config = try await DouyinConfig.load(service: .video)
try await VideoService.run(config: config)
