import AuthService
import DouyinCore

let config = try await DouyinConfig.load(service: .auth)
try await AuthService.run(config: config)
