import AuthService
import DouyinHost

await ServiceMain.run(.auth, AuthService.run(config:))
