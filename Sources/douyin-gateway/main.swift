import DouyinCore
import Gateway

let config = try await DouyinConfig.load(service: .gateway)
try await Gateway.run(config: config)
