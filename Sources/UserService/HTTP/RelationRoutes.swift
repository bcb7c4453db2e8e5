import DouyinHTTP
import DouyinModels
import DouyinRPC
import Hummingbird

/// `/douyin/relation/...`.
struct RelationRoutes {
    let relations: Relations

    func add(to router: Router<DouyinRequestContext>) {
        router.post("/douyin/relation/action/") { _, context -> Response in
            let requester = try context.requireUser()
            let target = try context.params.id("to_user_id")
            guard let action = Relations.Action(rawValue: try context.params.int64("action_type")) else {
                throw DouyinError.invalid("action_type", "must be 1 (follow) or 2 (unfollow)")
            }
            try await relations.act(action, from: requester, to: target)
            return .success
        }
        router.get("/douyin/relation/follow/list/") { _, context in
            let (viewer, user, page) = try Self.listParameters(context)
            return try await relations.following(of: user, viewer: viewer, page: page)
        }
        router.get("/douyin/relation/follower/list/") { _, context in
            let (viewer, user, page) = try Self.listParameters(context)
            return try await relations.followers(of: user, viewer: viewer, page: page)
        }
        router.get("/douyin/relation/friend/list/") { _, context in
            let (viewer, user, page) = try Self.listParameters(context)
            return APIResponse(try await relations.friends(of: user, viewer: viewer, page: page))
        }
    }

    static func listParameters(_ context: DouyinRequestContext) throws -> (viewer: UserID, user: UserID, page: Page) {
        (try context.requireUser(), try context.params.id("user_id"), try Page(context.params))
    }
}
