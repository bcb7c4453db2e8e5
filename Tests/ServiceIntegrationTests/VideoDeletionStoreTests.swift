import DouyinPostgres
import DouyinTestSupport
import Foundation
import Logging
import Testing
@testable import VideoService

/// Deleting a video against a real PostgreSQL, with the worst interleaving forced.
@Suite(.enabled(if: TestServers.enabled, TestServers.skipReason))
struct VideoDeletionStoreTests {
    /// A like arriving while a delete holds the video's lock must wait before it writes its
    /// row: had it inserted first, the delete (which must see no like of the video left)
    /// and the like (which needs the video) would wait for each other, a deadlock that
    /// PostgreSQL ends by failing one of them. Here the delete's statements run by hand
    /// on their own session, with the like started in between.
    @Test func aLikeRacingADeleteWaitsAndFindsNoVideo() async throws {
        let url = try await TestServers.makeDatabase()
        let db = PostgresClient(.init(conninfo: url, maxConnections: 4), logger: Logger(label: "test"))
        let sql = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("manifest/sql/video")
        try await Migrator(schema: "video", directory: sql).migrate(db, logger: Logger(label: "test"))
        let videos = VideoStore(db: db)
        let (video, _) = try await videos.insert(.init(authorID: 1, title: "t", playKey: "v/a.mp4", coverKey: "c/a.jpg", contentType: "video/mp4"))

        let deleting = try PostgresConnection(conninfo: url)
        try deleting.executeScript("BEGIN; SET LOCAL lock_timeout = '5s'")
        _ = try deleting.query("SELECT id FROM video.videos WHERE id = \(video) FOR UPDATE")
        let like = Task { try await FavoriteStore(db: db).set(liked: true, user: 2, video: video) }
        try await Task.sleep(for: .milliseconds(300))  // the like is under way, waiting somewhere
        try deleting.executeScript("""
            DELETE FROM video.favorites WHERE video_id = \(video);
            DELETE FROM video.comments WHERE video_id = \(video);
            DELETE FROM video.videos WHERE id = \(video);
            COMMIT
            """)
        #expect(try await like.value == nil, "the like finds no video")
        let left = try await db.query("SELECT count(*) FROM video.favorites").first!.column(0, as: Int64.self)
        #expect(left == 0)
        deleting.close()
        await db.shutdown()
    }

    @Test func onlyTheAuthorDeletesAndOnlyOnce() async throws {
        let db = try await TestServers.migratedDatabase(schema: "video", folder: "video")
        let videos = VideoStore(db: db)
        let (video, _) = try await videos.insert(.init(authorID: 1, title: "t", playKey: "v/b.mp4", coverKey: "c/b.jpg", contentType: "video/mp4"))
        for liker: Int64 in [1, 2, 3] { _ = try await FavoriteStore(db: db).set(liked: true, user: liker, video: video) }
        #expect(try await videos.delete(video, requester: 2) == .forbidden)
        #expect(try await videos.delete(video, requester: 1) == .deleted(author: 1, likers: [1, 2, 3], mediaKeys: ["v/b.mp4", "c/b.jpg"]))
        #expect(try await videos.delete(video, requester: 1) == .notFound)
        let stats = try await db.query("SELECT user_id, work_count, total_favorited, favorite_count FROM video.user_stats ORDER BY user_id")
            .decode(Int64.self, Int64.self, Int64.self, Int64.self)
        #expect(stats.map { [$0.0, $0.1, $0.2, $0.3] } == [[1, 0, 0, 0], [2, 0, 0, 0], [3, 0, 0, 0]])
        await db.shutdown()
    }
}
