import DouyinHTTP
import DouyinModels
import HTTPTypes
import Hummingbird

/// `POST /douyin/user/register/` and `POST /douyin/user/login/`: read parameters, call the logic, encode.
struct AuthRoutes {
    let registration: Registration
    let login: Login

    func add(to router: Router<DouyinRequestContext>) {
        router.post("/douyin/user/register/") { _, context in
            let username = try context.params.string("username", codePoints: 1...Int.max)
            let password = try context.params.string("password", codePoints: Credentials.passwordLength)
            return APIResponse(try await registration.register(username: username, password: password))
        }
        router.post("/douyin/user/login/") { _, context in
            // Lengths are not checked here: an impossible username or password
            // simply fails like any wrong one.
            let username = try context.params.string("username", codePoints: 0...Int.max)
            let password = try context.params.string("password", codePoints: 0...Int.max)
            let address = context.clientAddress ?? "unknown"
            return APIResponse(try await login.login(username: username, password: password, clientAddress: address))
        }
    }
}
