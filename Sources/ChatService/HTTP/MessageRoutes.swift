import DouyinHTTP
import DouyinModels
import DouyinRPC
import Hummingbird

/// `/douyin/message/action/` and `/douyin/message/chat/`.
struct MessageRoutes {
    let messaging: Messaging

    func add(to router: Router<DouyinRequestContext>) {
        router.post("/douyin/message/action/") { _, context -> Response in
            let sender = try context.requireUser()
            let recipient = try context.params.id("to_user_id")
            guard try context.params.int64("action_type") == 1 else { throw DouyinError.invalid("action_type", "must be 1 (send)") }
            let content = try context.params.string("content", codePoints: Messaging.contentLength)
            _ = try await messaging.send(from: sender, to: recipient, content: content)
            return .success
        }
        // Reached only when the WebSocket upgrade was refused or not asked for.
        router.get("/douyin/message/ws/") { _, context -> Response in
            _ = try context.requireUser()
            throw DouyinError(.invalidParameter, "a WebSocket upgrade is required here")
        }
        router.get("/douyin/message/chat/") { _, context in
            let user = try context.requireUser()
            let peer = try context.params.id("to_user_id")
            let preMessageTime = try context.params.optionalInt64("pre_msg_time") ?? 0
            let page = try Page(context.params)
            return try await messaging.conversation(of: user, with: peer, preMessageTime: preMessageTime, page: page)
        }
    }
}
