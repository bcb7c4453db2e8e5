import DouyinClients
import DouyinHTTP
import DouyinModels
import DouyinRedis
import DouyinTestSupport
import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing
@testable import UserService

/// The user-info cache against a real Redis: users are reused while their version
/// holds, follow flags while the viewer's version holds, and each is rebuilt, with
/// the new content, as soon as its owner's version changes.
@Suite(.enabled(if: TestServers.enabled, TestServers.skipReason))
struct UserCacheTests {
    /// Loaders that count their calls and serve changeable content.
    final class Source: Sendable {
        let followers = NIOLockedValueBox<Int64>(1)
        let following = NIOLockedValueBox<Set<UserID>>([])
        let userLoads = NIOLockedValueBox<[[UserID]]>([])
        let flagLoads = NIOLockedValueBox<[[UserID]]>([])
        let everyoneLoads = NIOLockedValueBox(0)

        /// `loaders` that can also load everyone the viewer follows, up to a limit.
        var loadersWithEveryone: UserCache.Loaders {
            var loaders = self.loaders
            loaders.everyoneFollowed = { _, limit in
                self.everyoneLoads.withLockedValue { $0 += 1 }
                let all = self.following.withLockedValue { $0 }
                return all.count <= limit ? all : nil
            }
            return loaders
        }

        var loaders: UserCache.Loaders {
            UserCache.Loaders(
                users: { ids in
                    self.userLoads.withLockedValue { $0.append(ids.sorted()) }
                    let followers = self.followers.withLockedValue { $0 }
                    return Dictionary(uniqueKeysWithValues: ids.map { ($0, User(id: $0, name: "n\($0)", followerCount: followers)) })
                },
                followed: { _, ids in
                    self.flagLoads.withLockedValue { $0.append(ids.sorted()) }
                    return self.following.withLockedValue { $0 }.intersection(ids)
                }
            )
        }
    }

    /// A cache over the test Redis, its versions, and the client to shut down.
    func onTestRedis() throws -> (UserCache, ContentVersions, RedisClient) {
        let redis = RedisClient(try TestServers.redisConfiguration())
        let versions = ContentVersions(redis: redis, logger: Logger(label: "test"))
        return (UserCache(versions: versions), versions, redis)
    }

    func followerCount(_ answer: ValidatedAnswer) throws -> Int? {
        let json = try JSONSerialization.jsonObject(with: Data(answer.encoded.bytes.readableBytesView)) as? [String: Any]
        return (json?["user"] as? [String: Any])?["follower_count"] as? Int
    }

    @Test func encodedAnswersFollowTheUsersVersion() async throws {
        let (cache, versions, redis) = try onTestRedis()
        let id = UserID.random(in: 1_000_000...9_000_000)
        let source = Source()

        let first = try await cache.answer(id, viewer: 7, load: source.loaders)
        let second = try await cache.answer(id, viewer: 7, load: source.loaders)
        #expect(try followerCount(first) == 1 && first.encoded.bytes == second.encoded.bytes)
        #expect(source.userLoads.withLockedValue { $0.count } == 1)
        // The answer names the versions of the user and the viewer, as they are in Redis.
        let validity = try #require(first.validity)
        #expect(validity.keys == ["douyin:user:7:version", "douyin:user:\(id):version"])
        #expect(validity.versions == (try await versions.users([7, id])).sorted { $0.key < $1.key }.map(\.value))

        source.followers.withLockedValue { $0 = 2 }
        await versions.changed(users: [id])
        let third = try await cache.answer(id, viewer: 7, load: source.loaders)
        #expect(try followerCount(third) == 2)
        #expect(source.userLoads.withLockedValue { $0.count } == 2)
        #expect(third.validity!.versions[1] > validity.versions[1])

        await #expect(throws: DouyinError(.userNotFound)) {
            try await cache.answer(id + 1, viewer: 7, load: UserCache.Loaders(users: { _ in [:] }, followed: { _, _ in [] }))
        }
        await redis.shutdown()
    }

    @Test func oneEntryPerUserServesEveryViewerWithTheirOwnFollowFlags() async throws {
        let (cache, versions, redis) = try onTestRedis()
        let base = UserID.random(in: 1_000_000...9_000_000)
        let (a, b, viewer, other) = (base, base + 1, base + 2, base + 3)
        let source = Source()
        source.following.withLockedValue { $0 = [a] }

        let seen = try await cache.users([a, b, viewer], viewer: viewer, load: source.loaders)
        #expect(seen[a]?.isFollow == true && seen[b]?.isFollow == false)
        #expect(seen[viewer]?.isFollow == false, "never following yourself")
        #expect(source.flagLoads.withLockedValue { $0 } == [[a, b]], "the viewer's own id is not asked")

        // Another viewer: the same user entries, their own flags.
        let others = try await cache.users([a, b], viewer: other, load: source.loaders)
        #expect(others[a]?.isFollow == true && others[b]?.isFollow == false)
        #expect(source.userLoads.withLockedValue { $0 } == [[a, b, viewer]])
        #expect(source.flagLoads.withLockedValue { $0.count } == 2)

        // Remembered flags: nothing loaded again.
        _ = try await cache.users([a, b], viewer: viewer, load: source.loaders)
        #expect(source.flagLoads.withLockedValue { $0.count } == 2 && source.userLoads.withLockedValue { $0.count } == 1)

        // The viewer follows b: their version moves, so their flags are loaded again, nobody else's.
        source.following.withLockedValue { $0 = [a, b] }
        await versions.changed(users: [viewer])
        let after = try await cache.users([a, b], viewer: viewer, load: source.loaders)
        #expect(after[b]?.isFollow == true)
        #expect(source.flagLoads.withLockedValue { $0.last } == [a, b])
        #expect(source.userLoads.withLockedValue { $0.count } == 1, "a, b and their counters did not change")
        await redis.shutdown()
    }

    @Test func everyoneAViewerFollowsIsLoadedOnceForEveryProfileTheyOpen() async throws {
        let (cache, versions, redis) = try onTestRedis()
        let base = UserID.random(in: 1_000_000...9_000_000)
        let (a, b, c, viewer) = (base, base + 1, base + 2, base + 3)
        let source = Source()
        source.following.withLockedValue { $0 = [a] }

        for id in [a, b, c, a] {
            let seen = try await cache.users([id], viewer: viewer, load: source.loadersWithEveryone)
            #expect(seen[id]?.isFollow == (id == a))
        }
        #expect(source.everyoneLoads.withLockedValue { $0 } == 1 && source.flagLoads.withLockedValue { $0 }.isEmpty)

        // The viewer follows c: their version moves, and everyone they follow is loaded again.
        source.following.withLockedValue { $0 = [a, c] }
        await versions.changed(users: [viewer])
        let after = try await cache.users([b, c], viewer: viewer, load: source.loadersWithEveryone)
        #expect(after[b]?.isFollow == false && after[c]?.isFollow == true)
        #expect(source.everyoneLoads.withLockedValue { $0 } == 2)

        // A viewer who follows more than a viewer's flags may hold: the ids asked, as before.
        source.following.withLockedValue { $0 = Set((0..<600).map { base + 10 + $0 }).union([a]) }
        await versions.changed(users: [viewer])
        let many = try await cache.users([a, b], viewer: viewer, load: source.loadersWithEveryone)
        #expect(many[a]?.isFollow == true && many[b]?.isFollow == false)
        #expect(source.everyoneLoads.withLockedValue { $0 } == 3 && source.flagLoads.withLockedValue { $0 } == [[a, b]])
        _ = try await cache.users([c], viewer: viewer, load: source.loadersWithEveryone)
        #expect(source.everyoneLoads.withLockedValue { $0 } == 3, "the entry holds; only c is asked")
        #expect(source.flagLoads.withLockedValue { $0.last } == [c])
        await redis.shutdown()
    }
}
