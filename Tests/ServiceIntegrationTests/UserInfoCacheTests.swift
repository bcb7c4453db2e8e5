import DouyinCore
import DouyinModels
import DouyinRedis
import DouyinTestSupport
import Foundation
import Logging
import NIOConcurrencyHelpers
@testable import UserService
import Testing

/// The user-info cache against a real Redis: answers are reused while the user's
/// version holds and rebuilt, with the new content, as soon as it changes.
@Suite(.enabled(if: TestServers.enabled, TestServers.skipReason))
struct UserInfoCacheTests {
    @Test func encodedAnswersFollowTheUsersVersion() async throws {
        let redis = RedisClient(try TestServers.redisConfiguration())
        let versions = ContentVersions(redis: redis, logger: Logger(label: "test"))
        let cache = UserInfoCache(versions: versions)
        let id = UserID.random(in: 1_000_000...9_000_000)
        let followers = NIOLockedValueBox<Int64>(1)
        let loads = NIOLockedValueBox(0)
        let load: ([UserID]) async throws -> [UserID: User] = { ids in
            loads.withLockedValue { $0 += 1 }
            return Dictionary(uniqueKeysWithValues: ids.map { ($0, User(id: $0, name: "n\($0)", followerCount: followers.withLockedValue { $0 })) })
        }
        func followerCount(_ answer: EncodedAPIResponse) throws -> Int? {
            let json = try JSONSerialization.jsonObject(with: Data(answer.bytes.readableBytesView)) as? [String: Any]
            return (json?["user"] as? [String: Any])?["follower_count"] as? Int
        }

        let first = try await cache.answer(id, viewer: 7, load: load)
        let second = try await cache.answer(id, viewer: 7, load: load)
        #expect(try followerCount(first) == 1 && first.bytes == second.bytes)
        #expect(loads.withLockedValue { $0 } == 1)

        followers.withLockedValue { $0 = 2 }
        await versions.changed(users: [id])
        #expect(try followerCount(try await cache.answer(id, viewer: 7, load: load)) == 2)
        #expect(loads.withLockedValue { $0 } == 2)

        await #expect(throws: DouyinError(.userNotFound)) {
            try await cache.answer(id + 1, viewer: 7) { _ in [:] }
        }
        await redis.shutdown()
    }
}
