import DouyinPostgres
import DouyinTestSupport
import Testing
@testable import VideoService

/// Likes against a real PostgreSQL: the three counters a like moves stay equal to the
/// rows they count, whoever likes what, at once.
@Suite(.enabled(if: TestServers.enabled, TestServers.skipReason))
struct FavoriteStoreTests {
    @Test func countersMatchTheLikesAfterConcurrentLikesAndUnlikes() async throws {
        let db = try await TestServers.migratedDatabase(schema: "video", folder: "video")
        let videos = VideoStore(db: db)
        let favorites = FavoriteStore(db: db)
        var published: [Int64] = []
        // Authors 1 and 2 also like and unlike their own videos.
        for (index, author) in [Int64(1), 1, 2].enumerated() {
            let (video, _) = try await videos.insert(.init(
                authorID: author, title: "t\(index)", playKey: "v/\(index).mp4", coverKey: "c/\(index).jpg", contentType: "video/mp4"
            ))
            published.append(video)
        }
        #expect(try await favorites.set(liked: false, user: 5, video: published[0]) == 1, "an unlike of nothing names the author")
        #expect(try await favorites.set(liked: true, user: 5, video: 987_654) == nil)

        // Writes that arrive together commit in groups: these cross each other's rows.
        let plans = (0..<300).map { _ in (liked: Bool.random(), user: Int64.random(in: 1...6), video: published.randomElement()!) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for plan in plans {
                group.addTask { _ = try await favorites.set(liked: plan.liked, user: plan.user, video: plan.video) }
            }
            try await group.waitForAll()
        }
        _ = try await favorites.set(liked: true, user: 1, video: published[0])
        _ = try await favorites.set(liked: true, user: 1, video: published[0])

        let videoDrift = try await db.query("""
            SELECT count(*) FROM video.videos v
            WHERE v.favorite_count <> (SELECT count(*) FROM video.favorites f WHERE f.video_id = v.id)
            """).first!.column(0, as: Int64.self)
        #expect(videoDrift == 0)
        let userDrift = try await db.query("""
            SELECT count(*) FROM video.user_stats s
            WHERE s.favorite_count <> (SELECT count(*) FROM video.favorites f WHERE f.user_id = s.user_id)
               OR s.total_favorited <> (SELECT coalesce(sum(v.favorite_count), 0) FROM video.videos v WHERE v.author_id = s.user_id)
            """).first!.column(0, as: Int64.self)
        #expect(userDrift == 0)
        let likes = try await db.query("SELECT count(*) FROM video.favorites").first!.column(0, as: Int64.self)
        let countedLikes = try await db.query("SELECT coalesce(sum(favorite_count), 0) FROM video.user_stats").first!.column(0, as: Int64.self)
        #expect(likes > 0 && countedLikes == likes, "every like is counted once, for its liker")
        let ownLike = try await db.query("""
            SELECT count(*) FROM video.favorites WHERE user_id = 1 AND video_id = \(published[0])
            """).first!.column(0, as: Int64.self)
        #expect(ownLike == 1, "the author's repeated like of their own video is one like")
        await db.shutdown()
    }
}
