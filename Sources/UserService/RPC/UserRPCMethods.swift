import DouyinModels
import DouyinRPC

/// Methods other services call on `douyin-user`.
struct UserRPCMethods {
    let context: UserContext

    func register(on server: RPCServer) {
        server.register(UserRPC.CreateProfile.self) { request in
            try await context.profiles.create(id: request.id, name: request.name)
            return Empty()
        }
        server.register(UserRPC.DeleteProfile.self) { request in
            try await context.profiles.delete(id: request.id)
            return Empty()
        }
        server.register(UserRPC.Users.self) { request in
            try RPCBatch.check(request.ids.count)
            return .init(users: try await context.directory.users(request.ids, viewer: request.viewer))
        }
        server.register(UserRPC.Followed.self) { request in
            try RPCBatch.check(request.ids.count)
            let followed = try await context.follows.followed(by: request.viewer, among: request.ids)
            return .init(ids: request.ids.filter(followed.contains))
        }
        server.register(UserRPC.Existing.self) { request in
            try RPCBatch.check(request.ids.count)
            let existing = try await context.profiles.existing(request.ids)
            return .init(ids: request.ids.filter(existing.contains))
        }
    }
}
