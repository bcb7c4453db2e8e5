import DouyinClients
import DouyinModels

/// Turns video rows into Video objects for a viewer, with a constant number of
/// round trips per page: the authors (from memory while current, else one batch
/// RPC), one Redis GET for the viewer's version, and one query for the likes not
/// remembered at that version.
struct VideoAssembler: Sendable {
    let store: any VideoStoring
    let users: RemoteUsers
    let versions: ContentVersions
    /// Which videos a viewer likes: only their own likes change it, and each bumps their version.
    let likes: ViewerFlags

    func videos(_ rows: [VideoStore.Row], viewer: UserID?, mediaBase: String) async throws -> [Video] {
        guard !rows.isEmpty else { return [] }
        let authorIDs = Set(rows.map(\.authorID))
        guard let viewer else {
            return assemble(rows, authors: try await users.users(authorIDs, viewer: nil), liked: [], mediaBase: mediaBase)
        }
        // The authors' and the viewer's versions in one round trip; on a page seen before
        // at these versions, nothing else leaves the process.
        let current = try? await versions.users(Array(authorIDs.union([viewer])))
        async let authorReply = users.users(authorIDs, viewer: viewer, versions: current)
        let liked = try await likes.flags(viewer: viewer, version: current?[viewer], ids: rows.map(\.id)) { [store] ids in
            try await store.favorites(of: viewer, among: ids)
        }
        return assemble(rows, authors: try await authorReply, liked: liked, mediaBase: mediaBase)
    }

    private func assemble(_ rows: [VideoStore.Row], authors: [UserID: User], liked: Set<Int64>, mediaBase: String) -> [Video] {
        rows.compactMap { row -> Video? in
            guard let author = authors[row.authorID] else { return nil }
            return Video(
                id: row.id, author: author,
                playURL: "\(mediaBase)/media/\(row.playKey)", coverURL: "\(mediaBase)/media/\(row.coverKey)",
                favoriteCount: row.favoriteCount, commentCount: row.commentCount,
                isFavorite: liked.contains(row.id), title: row.title,
                hlsURL: row.hlsKey.map { "\(mediaBase)/media/\($0)" } ?? "",
                coverSmallURL: row.smallCoverKey.map { "\(mediaBase)/media/\($0)" } ?? ""
            )
        }
    }
}
