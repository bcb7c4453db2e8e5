import DouyinHost
import UserService

await ServiceMain.run(.user, UserService.run(config:))
