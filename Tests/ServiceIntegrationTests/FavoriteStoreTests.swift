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

    /// One statement over many rows, as likes and unlikes waiting together run: a self-like,
    /// likes crossing on one video, a repeat, a pair given twice, a missing video, an unlike
    /// that removes a like and one that finds none, and pairs liked and unliked in the same
    /// statement, which end as their last row says.
    @Test func oneStatementOverManyRowsMovesEachCounterByItsOwnChanges() async throws {
        let db = try await TestServers.migratedDatabase(schema: "video", folder: "video")
        let videos = VideoStore(db: db)
        let favorites = FavoriteStore(db: db)
        var published: [Int64] = []
        for author in [Int64(1), 2] {
            let (video, _) = try await videos.insert(.init(
                authorID: author, title: "t\(author)", playKey: "v/\(author).mp4", coverKey: "c/\(author).jpg", contentType: "video/mp4"
            ))
            published.append(video)
        }
        let (v1, v2) = (published[0], published[1])
        _ = try await favorites.set(liked: true, user: 3, video: v2)
        _ = try await favorites.set(liked: true, user: 6, video: v2)

        let rows: [(user: Int64, video: Int64, liked: Bool)] = [
            (1, v1, true), (3, v1, true), (4, v1, true), (3, v2, true), (5, 987_654, true), (4, v1, true),
            (6, v2, false), (4, v2, false), (6, v2, false),
            (7, v1, true), (7, v1, false), (3, v2, false), (3, v2, true),
        ]
        let likedArray = "{" + rows.map { $0.liked ? "t" : "f" }.joined(separator: ",") + "}"
        let query = PostgresQuery(unsafeSQL: FavoriteStore.setLikes, parameters: [rows.map(\.video).postgresText, rows.map(\.user).postgresText, likedArray])
        let authors = try await db.write(query).decode(Int64?.self)
        #expect(authors == [1, 1, 1, 2, nil, 1, 2, 2, 2, 1, 1, 2, 2])

        let counts = try await db.query("SELECT id, favorite_count FROM video.videos ORDER BY id").decode(Int64.self, Int64.self)
        #expect(counts.map(\.1) == [3, 1], "v1: users 1, 3 and 4 (user 7 took theirs back); v2: user 3 (so did user 6)")
        let stats = try await db.query("""
            SELECT user_id, favorite_count, total_favorited FROM video.user_stats ORDER BY user_id
            """).decode(Int64.self, Int64.self, Int64.self)
        #expect(stats.map { [$0.0, $0.1, $0.2] } == [[1, 1, 3], [2, 0, 1], [3, 2, 0], [4, 1, 0], [6, 0, 0]], "user 7's like and unlike wrote nothing")
        await db.shutdown()
    }
}
