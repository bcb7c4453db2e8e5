import DouyinCore
import DouyinModels

/// Turns video rows into Video objects for a viewer, with a constant number of
/// round trips per page: one batch RPC for the authors, one Redis GET for the
/// viewer's version, and one query for the likes not remembered at that version.
struct VideoAssembler: Sendable {
    let store: VideoStore
    let users: RPCClient
    let versions: ContentVersions
    /// Which videos a viewer likes: only their own likes change it, and each bumps their version.
    let likes = ViewerFlags()

    func videos(_ rows: [VideoStore.Row], viewer: UserID?, mediaBase: String) async throws -> [Video] {
        guard !rows.isEmpty else { return [] }
        let authorIDs = Array(Set(rows.map(\.authorID)))
        async let authorReply = users.call(UserRPC.Users.self, .init(ids: authorIDs, viewer: viewer))
        var liked: Set<Int64> = []
        if let viewer {
            let version = try? await versions.users([viewer])[viewer]
            liked = try await likes.flags(viewer: viewer, version: version, ids: rows.map(\.id)) { [store] ids in
                try await store.favorites(of: viewer, among: ids)
            }
        }
        let authors = try await authorReply.byID(asked: authorIDs)
        return rows.compactMap { row -> Video? in
            guard let author = authors[row.authorID] else { return nil }
            return Video(
                id: row.id, author: author,
                playURL: "\(mediaBase)/media/\(row.playKey)", coverURL: "\(mediaBase)/media/\(row.coverKey)",
                favoriteCount: row.favoriteCount, commentCount: row.commentCount,
                isFavorite: liked.contains(row.id), title: row.title
            )
        }
    }
}
