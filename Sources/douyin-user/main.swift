import UserService
import DouyinCore

let config = try await DouyinConfig.load(service: .user)
try await UserService.run(config: config)
