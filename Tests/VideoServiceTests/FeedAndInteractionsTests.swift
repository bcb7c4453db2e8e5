import DouyinCaching
import DouyinClients
import DouyinHTTP
import DouyinModels
import DouyinTestSupport
import Foundation
import Logging
import NIOCore
import Testing
@testable import VideoService

/// The video service's rules over in-memory tables, users and counters: no PostgreSQL,
/// Redis, RPC or media files.
struct FeedAndInteractionsTests {
    let tables = InMemoryVideoTables()
    let counters = InMemoryVersionCounters()
    let context: VideoContext
    let versions: ContentVersions
    static let base = "http://media.test"

    init() throws {
        versions = ContentVersions(counters: counters, logger: Logger(label: "test"))
        let users = UserCache.Loaders(
            users: { ids in Dictionary(uniqueKeysWithValues: ids.filter { (1...9).contains($0) }.map { ($0, User(id: $0, name: "u\($0)")) }) },
            followed: { _, _ in [] }
        )
        context = VideoContext(
            videos: tables, favorites: tables, comments: tables,
            storage: try LocalStorage(root: NSTemporaryDirectory() + "douyin-video-tests-\(UUID().uuidString)"),
            users: users, existing: { ids in ids.filter { (1...9).contains($0) } },
            versions: versions, sizes: CacheSizes(), logger: Logger(label: "test")
        )
    }

    /// Publishes as `Publishing` records a video: the row, then the bump.
    @discardableResult
    func publish(by author: UserID, _ title: String) async throws -> (id: Int64, publishedAt: Int64) {
        let video = try await tables.insert(.init(authorID: author, title: title, playKey: "v/\(title).mp4", coverKey: "c/\(title).jpg", contentType: "video/mp4"))
        await versions.changed(users: [author])
        return video
    }

    func feed(viewer: UserID? = nil, latest: Int64? = nil) async throws -> FeedResponse {
        switch try await context.feed.answer(viewer: viewer, latest: latest, now: .max - 1, mediaBase: Self.base) {
        case .page(let page): return page
        case .encoded(let encoded): return try JSONDecoder().decode(FeedResponse.self, from: Data(buffer: encoded.encoded.bytes))
        }
    }

    func firstPage(viewer: UserID?) async throws -> ValidatedAnswer? {
        guard case .encoded(let answer) = try await context.feed.answer(viewer: viewer, latest: nil, now: .max - 1, mediaBase: Self.base) else { return nil }
        return answer
    }

    /// The first page names the versions it holds for (the gateway repeats it while they
    /// hold): the feed's, and for a viewer also the viewer's.
    @Test func theFirstPageNamesTheVersionsItHoldsFor() async throws {
        try await publish(by: 1, "a")
        let anonymous = try #require(try await firstPage(viewer: nil)?.validity)
        #expect(anonymous.keys == ["douyin:feed:version"])
        let viewed = try #require(try await firstPage(viewer: 2)?.validity)
        #expect(viewed.keys == ["douyin:feed:version", "douyin:user:2:version"])
        #expect(viewed.versions[0] == anonymous.versions[0])
        try await publish(by: 1, "b")
        let later = try #require(try await firstPage(viewer: nil)?.validity)
        #expect(later.versions[0] > anonymous.versions[0], "a publish moves the version the page names")
    }

    @Test func pagesOfThirtyNewestFirstThenOnByNextTime() async throws {
        for n in 1...35 { try await publish(by: 1 + Int64(n % 3), "v\(n)") }
        let first = try await feed()
        #expect(first.videoList.map(\.title) == (6...35).reversed().map { "v\($0)" })
        #expect(first.nextTime == 1_700_000_006_000, "the oldest video's time (the tables publish v<n> at n seconds)")
        let second = try await feed(latest: first.nextTime)
        #expect(second.videoList.map(\.title) == (1...5).reversed().map { "v\($0)" })
        #expect(second.videoList.first?.playURL == "\(Self.base)/media/v/v5.mp4")
        let inSeconds = try await feed(latest: first.nextTime / 1000)
        #expect(inSeconds.videoList.count == 5, "latest_time below 10^12 is seconds")
    }

    @Test func theNewestPageIsQueriedOnceUntilAPublish() async throws {
        try await publish(by: 1, "first")
        _ = try await feed()
        _ = try await feed()
        _ = try await feed(viewer: 2)
        #expect(tables.feedQueries == 1, "one query serves anonymous clients and viewers while nothing changes")
        try await publish(by: 1, "second")
        #expect(try await feed().videoList.map(\.title) == ["second", "first"], "a publish is seen at once")
        #expect(try await feed(viewer: 2).videoList.map(\.title) == ["second", "first"])
    }

    @Test func likesCountOnceAndShowForTheirViewerOnly() async throws {
        let video = try await publish(by: 1, "liked").id
        _ = try await feed(viewer: 2)
        for _ in 0..<2 { try await context.interactions.setFavorite(true, user: 2, video: video) }
        let liker = try #require(try await feed(viewer: 2).videoList.first)
        #expect(liker.isFavorite && liker.favoriteCount == 1)
        let other = try #require(try await feed(viewer: 3).videoList.first)
        #expect(!other.isFavorite && other.favoriteCount == 1)
        #expect(try await context.interactions.favoriteList(of: 2, viewer: 3, page: Page(), mediaBase: Self.base).items.map(\.id) == [video])

        for _ in 0..<2 { try await context.interactions.setFavorite(false, user: 2, video: video) }
        let unliked = try #require(try await feed(viewer: 2).videoList.first)
        #expect(!unliked.isFavorite && unliked.favoriteCount == 0)
        await #expect { try await context.interactions.setFavorite(true, user: 2, video: 999) } throws: {
            ($0 as? DouyinError)?.code == .videoNotFound
        }
    }

    /// A comment page names what it holds for (the gateway repeats it meanwhile): the
    /// writers on it and the viewer (their profiles, the viewer's follow flags), and the video.
    @Test func aCommentPageNamesTheVersionsItHoldsFor() async throws {
        let video = try await publish(by: 1, "talked about").id
        _ = try await context.interactions.addComment(video: video, user: 2, content: "nice")
        let validity = try #require(try await context.interactions.commentList(video: video, viewer: 4, page: Page()).validity)
        let keys = ["douyin:user:2:version", "douyin:user:4:version", "douyin:video:\(video):version"]
        #expect(validity.keys == keys)
        #expect(validity.versions == keys.map(counters.value))
    }

    @Test func commentsCountAndOnlyTheirWriterOrTheVideosAuthorDeletesThem() async throws {
        let video = try await publish(by: 1, "talked about").id
        let interactions = context.interactions
        #expect(try await interactions.commentList(video: video, viewer: 2, page: Page()).body.items.isEmpty)
        let first = try await interactions.addComment(video: video, user: 2, content: "nice")
        let second = try await interactions.addComment(video: video, user: 3, content: "meh")
        #expect(first.user.id == 2 && first.content == "nice")
        #expect(try await interactions.commentList(video: video, viewer: 4, page: Page()).body.items.map(\.id) == [second.id, first.id],
                "newest first, seen at once after the cached empty page")
        #expect(try await feed(viewer: 4).videoList.first?.commentCount == 2)

        await #expect { _ = try await interactions.deleteComment(first.id, video: video, requester: 3) } throws: {
            ($0 as? DouyinError)?.code == .forbidden
        }
        #expect(try await interactions.deleteComment(second.id, video: video, requester: 1).id == second.id, "the video's author may")
        #expect(try await interactions.deleteComment(first.id, video: video, requester: 2).id == first.id, "its writer may")
        await #expect { _ = try await interactions.deleteComment(first.id, video: video, requester: 2) } throws: {
            ($0 as? DouyinError)?.code == .commentNotFound
        }
        await #expect { _ = try await interactions.addComment(video: 999, user: 2, content: "?") } throws: {
            ($0 as? DouyinError)?.code == .videoNotFound
        }
        #expect(try await feed(viewer: 4).videoList.first?.commentCount == 0)
    }
}
