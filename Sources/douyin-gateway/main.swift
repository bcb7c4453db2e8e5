import DouyinHost
import Gateway

await ServiceMain.run(.gateway, Gateway.run(config:))
