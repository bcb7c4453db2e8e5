import DouyinCaching
import DouyinClients
import DouyinHTTP
import DouyinModels
import DouyinTestSupport
import Logging
import NIOConcurrencyHelpers
import Testing
@testable import UserService

/// The user service's rules over in-memory tables and counters: no PostgreSQL, Redis or RPC.
struct RelationsTests {
    let tables = InMemoryUserTables()
    let counters = InMemoryVersionCounters()
    let messages = NIOLockedValueBox<[UserID: Message]>([:])
    let context: UserContext

    init() async throws {
        for (id, name) in [(1, "ann"), (2, "bob"), (3, "cy"), (4, "dee")] as [(UserID, String)] {
            try await tables.create(id: id, name: name)
        }
        let messages = self.messages
        context = UserContext(
            profiles: tables, follows: tables,
            versions: ContentVersions(counters: counters, logger: Logger(label: "test")), sizes: CacheSizes(),
            // What is read from memory depends on the versions alone, not on how long a
            // loaded machine takes between two reads.
            maxAge: .seconds(3600),
            videoStats: { ids in Dictionary(uniqueKeysWithValues: ids.map { ($0, UserVideoStats(workCount: $0, totalFavorited: $0 * 10)) }) },
            latestMessages: { _, peers in messages.withLockedValue { all in all.filter { peers.contains($0.key) } } }
        )
    }

    var relations: Relations { context.relations }

    func user(_ id: UserID, seenBy viewer: UserID) async throws -> User {
        try #require(try await context.directory.users([id], viewer: viewer).first)
    }

    @Test func followingCountsOnceAndShowsEverywhere() async throws {
        try await relations.act(.follow, from: 1, to: 2)
        try await relations.act(.follow, from: 1, to: 2)
        let bob = try await user(2, seenBy: 1)
        #expect(bob.followerCount == 1 && bob.isFollow)
        #expect(try await user(1, seenBy: 3).followCount == 1)
        #expect(try await user(2, seenBy: 3).isFollow == false, "is_follow is the viewer's, not the follower's")
        #expect(try await relations.following(of: 1, viewer: 1, page: Page()).body.items.map(\.id) == [2])
        #expect(try await relations.followers(of: 2, viewer: 1, page: Page()).body.items.map(\.id) == [1])

        try await relations.act(.unfollow, from: 1, to: 2)
        try await relations.act(.unfollow, from: 1, to: 2)
        let after = try await user(2, seenBy: 1)
        #expect(after.followerCount == 0 && !after.isFollow)
        #expect(try await relations.followers(of: 2, viewer: 1, page: Page()).body.items.isEmpty)
    }

    /// Search answers full users for the viewer, best first, and pages by count served.
    @Test func searchPagesUsersAsTheViewerSeesThem() async throws {
        try await tables.create(id: 5, name: "annie")
        try await relations.act(.follow, from: 2, to: 5)
        var query = SearchQuery(keyword: "ANN", page: Page(limit: 1))
        let first = try await context.directory.search(query, viewer: 2)
        #expect(first.items.map(\.name) == ["annie"] && first.items[0].isFollow, "most followed first; bob follows annie")
        query = SearchQuery(keyword: "ANN", page: Page(limit: 1, after: Int64(1)))
        let second = try await context.directory.search(query, viewer: nil)
        #expect(second.items.map(\.name) == ["ann"] && second.nextCursor == "" && !second.items[0].isFollow)
    }

    @Test func everyFollowBumpsBothUsersVersions() async throws {
        try await relations.act(.follow, from: 3, to: 4)
        #expect(counters.value("douyin:user:3:version") == 1 && counters.value("douyin:user:4:version") == 1)
        #expect(counters.value("douyin:user:1:version") == 0)
    }

    @Test func refusesSelfAndUnknownUsers() async throws {
        await #expect { try await relations.act(.follow, from: 1, to: 1) } throws: { ($0 as? DouyinError)?.code == .invalidParameter }
        await #expect { try await relations.act(.follow, from: 1, to: 99) } throws: { ($0 as? DouyinError)?.code == .userNotFound }
        await #expect { _ = try await relations.followers(of: 99, viewer: 1, page: Page()) } throws: {
            ($0 as? DouyinError)?.code == .userNotFound
        }
        #expect(try await tables.followed(by: 1, among: [1, 99]).isEmpty)
    }

    @Test func friendsAreMutualFollowsWithTheLatestMessage() async throws {
        try await relations.act(.follow, from: 1, to: 2)
        try await relations.act(.follow, from: 2, to: 1)
        try await relations.act(.follow, from: 1, to: 3)  // not followed back
        try await relations.act(.follow, from: 4, to: 1)
        try await relations.act(.follow, from: 1, to: 4)
        messages.withLockedValue { $0[2] = Message(id: 1, toUserID: 2, fromUserID: 1, content: "hi bob", createTime: 5) }
        messages.withLockedValue { $0[4] = Message(id: 2, toUserID: 1, fromUserID: 4, content: "hi ann", createTime: 6) }

        let friends = try await relations.friends(of: 1, viewer: 1, page: Page()).items
        #expect(friends.map(\.user.id) == [4, 2], "newest friendship first")
        #expect(friends.map(\.message) == ["hi ann", "hi bob"])
        #expect(friends.map(\.messageType) == [0, 1], "1 when the viewer sent it")
        await #expect { _ = try await relations.friends(of: 1, viewer: 2, page: Page()) } throws: {
            ($0 as? DouyinError)?.code == .forbidden
        }
    }

    @Test func pagesFollowTheirCursorWithoutGapsOrRepeats() async throws {
        for id in 10...24 as ClosedRange<UserID> {
            try await tables.create(id: id, name: "u\(id)")
            try await relations.act(.follow, from: id, to: 1)
        }
        var seen: [UserID] = []
        var page = Page(limit: 4)
        while true {
            let list = try await relations.followers(of: 1, viewer: 1, page: page).body
            seen += list.items.map(\.id)
            guard !list.nextCursor.isEmpty else { break }
            page = try Page(RequestParameters(sources: [[("cursor", list.nextCursor), ("limit", "4")]]))
        }
        #expect(seen == Array((10...24).reversed()))
    }

    /// A list page names what it holds for, so the gateway may repeat it meanwhile: the
    /// list's owner (its rows), each user on it (their counts) and the viewer (their flags).
    @Test func aListPageNamesTheVersionsItHoldsFor() async throws {
        try await relations.act(.follow, from: 2, to: 1)
        try await relations.act(.follow, from: 3, to: 1)
        let before = try #require(try await relations.followers(of: 1, viewer: 4, page: Page()).validity)
        let keys = [1, 2, 3, 4].map { "douyin:user:\($0):version" }
        #expect(before.keys == keys)
        #expect(before.versions == keys.map(counters.value))
        // A like by a user on the page moves their version, and so the page's.
        try await counters.increment(["douyin:user:3:version"])
        let after = try #require(try await relations.followers(of: 1, viewer: 4, page: Page()).validity)
        #expect(after.versions[2] == before.versions[2] + 1)
        counters.unreadable = true
        #expect(try await relations.followers(of: 1, viewer: 4, page: Page()).validity == nil, "no versions, no repeats")
    }

    @Test func aListIsReadOnceWhileNothingChangesAndAgainAfterAFollow() async throws {
        try await relations.act(.follow, from: 2, to: 1)
        _ = try await relations.followers(of: 1, viewer: 3, page: Page())
        _ = try await relations.followers(of: 1, viewer: 4, page: Page())
        #expect(tables.listReads == 1, "the second read is served from memory")

        try await relations.act(.follow, from: 3, to: 1)
        let list = try await relations.followers(of: 1, viewer: 4, page: Page()).body
        #expect(list.items.map(\.id) == [3, 2], "the follow is seen at once")
        #expect(tables.listReads == 2)
    }

    @Test func withoutTheCountersEveryReadGoesToTheTables() async throws {
        try await relations.act(.follow, from: 2, to: 1)
        counters.unreadable = true
        _ = try await relations.followers(of: 1, viewer: 3, page: Page())
        _ = try await relations.followers(of: 1, viewer: 3, page: Page())
        #expect(tables.listReads == 2)
    }
}
