import DouyinHTTP
import DouyinModels
import NIOConcurrencyHelpers
@testable import VideoService

/// The video, like and comment tables in memory, keeping the promises of the store
/// protocols: distinct increasing publish times, counts that move only with a row.
final class InMemoryVideoTables: VideoStoring, FavoriteStoring, CommentStoring {
    private struct Tables {
        var videos: [Int64: VideoStore.Row] = [:]
        /// (user, video) -> position.
        var likes: [Like: Int64] = [:]
        var comments: [Int64: (video: Int64, row: CommentStore.Row)] = [:]
        var lastID: Int64 = 0
        var clock: Int64 = 1_700_000_000_000
        var feedQueries = 0
    }

    private struct Like: Hashable {
        let user: UserID
        let video: Int64
    }

    private let tables = NIOLockedValueBox(Tables())

    /// How many feed queries ran: what the feed caches save.
    var feedQueries: Int { tables.withLockedValue { $0.feedQueries } }

    func insert(_ video: VideoStore.NewVideo) async throws -> (id: Int64, publishedAt: Int64) {
        tables.withLockedValue { tables in
            tables.lastID += 1
            tables.clock += 1_000
            tables.videos[tables.lastID] = VideoStore.Row(
                id: tables.lastID, authorID: video.authorID, title: video.title, playKey: video.playKey, coverKey: video.coverKey,
                favoriteCount: 0, commentCount: 0, publishedAt: tables.clock
            )
            return (tables.lastID, tables.clock)
        }
    }

    func feed(before: Int64, limit: Int) async throws -> [VideoStore.Row] {
        tables.withLockedValue { tables in
            tables.feedQueries += 1
            return Array(tables.videos.values.filter { $0.publishedAt < before }.sorted { $0.publishedAt > $1.publishedAt }.prefix(limit))
        }
    }

    func published(by author: UserID, before: Int64, limit: Int) async throws -> [VideoStore.Row] {
        tables.withLockedValue { tables in
            Array(tables.videos.values.filter { $0.authorID == author && $0.publishedAt < before }
                .sorted { $0.publishedAt > $1.publishedAt }.prefix(limit))
        }
    }

    func favorites(of user: UserID, among videos: [Int64]) async throws -> Set<Int64> {
        tables.withLockedValue { tables in Set(videos.filter { tables.likes[Like(user: user, video: $0)] != nil }) }
    }

    func delete(_ video: Int64, requester: UserID) async throws -> VideoStore.Deletion {
        tables.withLockedValue { tables in
            guard let row = tables.videos[video] else { return .notFound }
            guard row.authorID == requester else { return .forbidden }
            let likers = tables.likes.keys.filter { $0.video == video }.map(\.user)
            for user in likers { tables.likes[Like(user: user, video: video)] = nil }
            tables.comments = tables.comments.filter { $0.value.video != video }
            tables.videos[video] = nil
            return .deleted(author: row.authorID, likers: likers.sorted(), mediaKeys: [row.playKey, row.coverKey])
        }
    }

    /// Substring matches only (no trigram similarity in memory), most liked first.
    func search(_ query: SearchQuery) async throws -> [VideoStore.Row] {
        tables.withLockedValue { tables in
            Array(tables.videos.values.filter { $0.title.lowercased().contains(query.keyword.lowercased()) }
                .sorted { ($0.favoriteCount, $0.publishedAt) > ($1.favoriteCount, $1.publishedAt) }.dropFirst(query.offset).prefix(query.fetchLimit))
        }
    }

    func author(of video: Int64) async throws -> UserID? {
        tables.withLockedValue { $0.videos[video]?.authorID }
    }

    func set(liked: Bool, user: UserID, video: Int64) async throws -> UserID? {
        tables.withLockedValue { tables in
            guard let author = tables.videos[video]?.authorID else { return nil }
            let like = Like(user: user, video: video)
            if liked, tables.likes[like] == nil {
                tables.lastID += 1
                tables.likes[like] = tables.lastID
                tables.videos[video]?.favoriteCount += 1
            } else if !liked, tables.likes.removeValue(forKey: like) != nil {
                tables.videos[video]?.favoriteCount -= 1
            }
            return author
        }
    }

    func liked(by user: UserID, before: Int64?, limit: Int) async throws -> [(video: VideoStore.Row, position: Int64)] {
        tables.withLockedValue { tables in
            Array(tables.likes.compactMap { like, position -> (video: VideoStore.Row, position: Int64)? in
                guard like.user == user, position < (before ?? .max), let video = tables.videos[like.video] else { return nil }
                return (video, position)
            }.sorted { $0.position > $1.position }.prefix(limit))
        }
    }

    func add(video: Int64, user: UserID, content: String) async throws -> CommentStore.Row? {
        tables.withLockedValue { tables in
            guard tables.videos[video] != nil else { return nil }
            tables.lastID += 1
            tables.clock += 1
            let row = CommentStore.Row(id: tables.lastID, userID: user, content: content, createdAt: tables.clock)
            tables.comments[row.id] = (video, row)
            tables.videos[video]?.commentCount += 1
            return row
        }
    }

    func delete(_ id: Int64, video: Int64, requester: UserID) async throws -> CommentStore.DeleteOutcome {
        tables.withLockedValue { tables in
            guard let comment = tables.comments[id], comment.video == video else { return .notFound }
            guard comment.row.userID == requester || tables.videos[video]?.authorID == requester else { return .forbidden }
            tables.comments[id] = nil
            tables.videos[video]?.commentCount -= 1
            return .deleted(comment.row)
        }
    }

    func list(video: Int64, before: Int64?, limit: Int) async throws -> [CommentStore.Row]? {
        tables.withLockedValue { tables in
            guard tables.videos[video] != nil else { return nil }
            return Array(tables.comments.values.filter { $0.video == video && $0.row.id < (before ?? .max) }.map(\.row)
                .sorted { $0.id > $1.id }.prefix(limit))
        }
    }
}
