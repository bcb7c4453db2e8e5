import DouyinHTTP
import DouyinModels
import DouyinRPC
import Hummingbird

/// `/douyin/favorite/...` and `/douyin/comment/...`.
struct InteractionRoutes {
    let interactions: Interactions
    let media: MediaBase

    func add(to router: Router<DouyinRequestContext>) {
        router.post("/douyin/favorite/action/") { _, context -> Response in
            let user = try context.requireUser()
            let video = try context.params.id("video_id")
            switch try context.params.int64("action_type") {
            case 1: try await interactions.setFavorite(true, user: user, video: video)
            case 2: try await interactions.setFavorite(false, user: user, video: video)
            default: throw DouyinError.invalid("action_type", "must be 1 (like) or 2 (unlike)")
            }
            return .success
        }
        router.get("/douyin/favorite/list/") { request, context in
            let viewer = try context.requireUser()
            let user = try context.params.id("user_id")
            let page = try Page(context.params)
            return APIResponse(try await interactions.favoriteList(of: user, viewer: viewer, page: page, mediaBase: media.base(for: request)))
        }
        router.post("/douyin/comment/action/") { _, context in
            let user = try context.requireUser()
            let video = try context.params.id("video_id")
            switch try context.params.int64("action_type") {
            case 1:
                let text = try context.params.string("comment_text", codePoints: Interactions.commentLength)
                return APIResponse(CommentResponse(comment: try await interactions.addComment(video: video, user: user, content: text)))
            case 2:
                let comment = try context.params.id("comment_id")
                return APIResponse(CommentResponse(comment: try await interactions.deleteComment(comment, video: video, requester: user)))
            default:
                throw DouyinError.invalid("action_type", "must be 1 (publish) or 2 (delete)")
            }
        }
        router.get("/douyin/comment/list/") { _, context in
            let viewer = try context.requireUser()
            let video = try context.params.id("video_id")
            let page = try Page(context.params)
            return try await interactions.commentList(video: video, viewer: viewer, page: page)
        }
    }
}
