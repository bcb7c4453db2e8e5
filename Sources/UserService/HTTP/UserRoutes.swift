import DouyinHTTP
import DouyinModels
import Hummingbird

/// `GET /douyin/user/` and `GET /douyin/search/user/`.
struct UserRoutes {
    let directory: UserDirectory

    func add(to router: Router<DouyinRequestContext>) {
        router.get("/douyin/user/") { _, context in
            let viewer = try context.requireUser()
            let id = try context.params.id("user_id")
            return try await directory.answer(id, viewer: viewer)
        }
        router.get("/douyin/search/user/") { _, context in
            let viewer = try context.optionalUser()
            return APIResponse(try await directory.search(try SearchQuery(context.params), viewer: viewer))
        }
    }
}
