import DouyinCore
import DouyinModels
import Foundation

/// Likes and comments (API.md 6.7 to 6.10).
struct Interactions: Sendable {
    let videos: VideoStore
    let favorites: FavoriteStore
    let comments: CommentStore
    let assembler: VideoAssembler
    let users: RPCClient
    let knownUsers: KnownUsers
    /// Likes and comments change counts that feeds and profiles show.
    let versions: ContentVersions

    static let commentLength = 1...500

    func setFavorite(_ liked: Bool, user: UserID, video: Int64) async throws {
        guard let author = try await favorites.set(liked: liked, user: user, video: video) else { throw DouyinError(.videoNotFound) }
        await versions.changed(users: [user, author])
    }

    func favoriteList(of user: UserID, viewer: UserID, page: Page, mediaBase: String) async throws -> VideoListResponse {
        guard try await knownUsers.exists(user) else { throw DouyinError(.userNotFound) }
        let (items, next) = page.finish(try await favorites.liked(by: user, before: page.after, limit: page.limit + 1)) { $0.position }
        return VideoListResponse(try await assembler.videos(items.map(\.video), viewer: viewer, mediaBase: mediaBase), nextCursor: next)
    }

    func addComment(video: Int64, user: UserID, content: String) async throws -> Comment {
        guard let row = try await comments.add(video: video, user: user, content: content) else { throw DouyinError(.videoNotFound) }
        await versions.changed()
        return try await assemble(row, viewer: user)
    }

    func deleteComment(_ id: Int64, video: Int64, requester: UserID) async throws -> Comment {
        guard try await videos.author(of: video) != nil else { throw DouyinError(.videoNotFound) }
        switch try await comments.delete(id, video: video, requester: requester) {
        case .deleted(let row):
            await versions.changed()
            return try await assemble(row, viewer: requester)
        case .notFound: throw DouyinError(.commentNotFound)
        case .forbidden: throw DouyinError(.forbidden, "only the comment's author or the video's author may delete it")
        }
    }

    func commentList(video: Int64, viewer: UserID, page: Page) async throws -> CommentListResponse {
        guard try await videos.author(of: video) != nil else { throw DouyinError(.videoNotFound) }
        let (rows, next) = page.finish(try await comments.list(video: video, before: page.after, limit: page.limit + 1)) { $0.id }
        return CommentListResponse(try await assemble(rows, viewer: viewer), nextCursor: next)
    }

    /// Comments with their writers, from one batch RPC.
    private func assemble(_ rows: [CommentStore.Row], viewer: UserID) async throws -> [Comment] {
        guard !rows.isEmpty else { return [] }
        let ids = Array(Set(rows.map(\.userID)))
        let byID = try await users.call(UserRPC.Users.self, .init(ids: ids, viewer: viewer)).byID(asked: ids)
        return rows.compactMap { row in
            byID[row.userID].map { Comment(id: row.id, user: $0, content: row.content, createDate: Self.createDate(row.createdAt)) }
        }
    }

    private func assemble(_ row: CommentStore.Row, viewer: UserID) async throws -> Comment {
        guard let comment = try await assemble([row], viewer: viewer).first else { throw DouyinError(.badUpstreamAnswer) }
        return comment
    }

    /// `MM-DD` in China Standard Time, UTC+08:00 (API.md 4).
    static func createDate(_ milliseconds: Int64) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        let parts = calendar.dateComponents([.month, .day], from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
        return String(format: "%02d-%02d", parts.month ?? 0, parts.day ?? 0)
    }
}
