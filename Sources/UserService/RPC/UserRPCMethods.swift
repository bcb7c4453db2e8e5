import DouyinModels
import DouyinRPC

/// Methods other services call on `douyin-user`.
struct UserRPCMethods {
    let store: ProfileStore
    let relations: RelationStore
    let directory: UserDirectory

    func register(on server: RPCServer) {
        server.register(UserRPC.CreateProfile.self) { request in
            try await store.create(id: request.id, name: request.name)
            return Empty()
        }
        server.register(UserRPC.DeleteProfile.self) { request in
            try await store.delete(id: request.id)
            return Empty()
        }
        server.register(UserRPC.Users.self) { request in
            try RPCBatch.check(request.ids.count)
            return .init(users: try await directory.users(request.ids, viewer: request.viewer))
        }
        server.register(UserRPC.Followed.self) { request in
            try RPCBatch.check(request.ids.count)
            let followed = try await relations.followed(by: request.viewer, among: request.ids)
            return .init(ids: request.ids.filter(followed.contains))
        }
        server.register(UserRPC.Existing.self) { request in
            try RPCBatch.check(request.ids.count)
            let existing = try await store.existing(request.ids)
            return .init(ids: request.ids.filter(existing.contains))
        }
    }
}
