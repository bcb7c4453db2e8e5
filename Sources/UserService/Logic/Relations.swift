import DouyinClients
import DouyinHTTP
import DouyinModels

/// Follow and unfollow, and the three relation lists (API.md 6.11 to 6.14).
public struct Relations: Sendable {
    let store: any RelationStoring
    let users: KnownUsers
    let directory: UserDirectory
    let latestMessages: UserContext.LatestMessages
    /// Follows change both users' counts and the follower's `is_follow`, in profiles and feeds.
    let versions: ContentVersions
    let pages: RelationPages

    public enum Action: Int64, Sendable {
        case follow = 1
        case unfollow = 2
    }

    public func act(_ action: Action, from requester: UserID, to target: UserID) async throws {
        guard target != requester else { throw DouyinError(.invalidParameter, "cannot follow yourself") }
        try await requireUser(target)
        switch action {
        case .follow: try await store.follow(requester, target)
        case .unfollow: try await store.unfollow(requester, target)
        }
        await versions.changed(users: [requester, target])
    }

    /// A page of a relation list, with the versions it holds for (`AnswerValidity`).
    public typealias ListAnswer = APIResponse<UserListResponse<User>>

    public func following(of user: UserID, viewer: UserID, page: Page) async throws -> ListAnswer {
        try await requireUser(user)
        let (entries, version) = try await pages.entries(.following, of: user, after: page.after, limit: page.limit + 1) {
            try await store.following(user, before: page.after, limit: page.limit + 1)
        }
        return try await users(entries, of: user, at: version, viewer: viewer, page: page)
    }

    public func followers(of user: UserID, viewer: UserID, page: Page) async throws -> ListAnswer {
        try await requireUser(user)
        let (entries, version) = try await pages.entries(.followers, of: user, after: page.after, limit: page.limit + 1) {
            try await store.followers(user, before: page.after, limit: page.limit + 1)
        }
        return try await users(entries, of: user, at: version, viewer: viewer, page: page)
    }

    /// Friend lists carry private message previews: only the requester's own.
    public func friends(of user: UserID, viewer: UserID, page: Page) async throws -> UserListResponse<FriendUser> {
        guard user == viewer else { throw DouyinError(.forbidden, "a friend list can only be read by its owner") }
        let (rows, _) = try await pages.entries(.friends, of: user, after: page.after, limit: page.limit + 1) {
            try await store.friends(user, before: page.after, limit: page.limit + 1)
        }
        let (entries, next) = page.finish(rows) { $0.position }
        let ids = entries.map(\.id)
        async let latest = latestMessages(viewer, ids)
        let users = try await directory.users(ids, viewer: viewer)
        let messages = try await latest
        let friends = users.map { user in
            guard let message = messages[user.id] else { return FriendUser(user: user) }
            return FriendUser(user: user, message: message.content, messageType: message.fromUserID == viewer ? 1 : 0)
        }
        return UserListResponse(friends, nextCursor: next)
    }

    /// The page's users as the viewer sees them. It holds while the list's owner (its
    /// rows), the users on it and the viewer (their follow flags) keep their versions.
    private func users(
        _ entries: [RelationEntry], of owner: UserID, at ownerVersion: Int64?, viewer: UserID, page: Page
    ) async throws -> ListAnswer {
        let (items, next) = page.finish(entries) { $0.position }
        let (users, versions) = try await directory.usersAndVersions(items.map(\.id), viewer: viewer)
        var validity: AnswerValidity?
        if let ownerVersion, var versions {
            // Read twice when the owner is on the page or views it: the older one holds for both.
            versions[owner] = min(versions[owner] ?? ownerVersion, ownerVersion)
            validity = ContentVersions.validity(users: versions, maxAge: min(pages.maxAge, directory.cache.maxAge))
        }
        return APIResponse(UserListResponse(users, nextCursor: next), validity: validity)
    }

    private func requireUser(_ id: UserID) async throws {
        guard try await users.exists(id) else { throw DouyinError(.userNotFound) }
    }
}
