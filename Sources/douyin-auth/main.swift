import DouyinCore
import AuthService

await ServiceMain.run(.auth, AuthService.run(config:))
