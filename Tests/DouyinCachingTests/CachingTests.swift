@testable import DouyinCaching
@testable import DouyinClients
import NIOConcurrencyHelpers
import Testing

struct ViewerFlagsTests {
    /// A load that records what it was asked and answers from `holding`.
    final class Loads: Sendable {
        let asked = NIOLockedValueBox<[[Int64]]>([])
        let holding: Set<Int64>
        init(_ holding: Set<Int64>) { self.holding = holding }
        var load: ViewerFlags.Load {
            { ids in
                self.asked.withLockedValue { $0.append(ids) }
                return self.holding.intersection(ids)
            }
        }
    }

    @Test func onlyUnknownIdsAreLoadedAtTheSameVersion() async throws {
        let flags = ViewerFlags(name: "test")
        let loads = Loads([2, 4])
        #expect(try await flags.flags(viewer: 1, version: 5, ids: [1, 2, 3], load: loads.load) == [2])
        #expect(try await flags.flags(viewer: 1, version: 5, ids: [2, 3, 4], load: loads.load) == [2, 4])
        #expect(loads.asked.withLockedValue { $0 } == [[1, 2, 3], [4]])
    }

    @Test func anotherVersionForgetsEverything() async throws {
        let flags = ViewerFlags(name: "test")
        _ = try await flags.flags(viewer: 1, version: 5, ids: [1, 2], load: Loads([1]).load)
        let after = Loads([2])
        #expect(try await flags.flags(viewer: 1, version: 6, ids: [1, 2], load: after.load) == [2])
        #expect(after.asked.withLockedValue { $0 } == [[1, 2]])
        // An answer loaded at the older version cannot come back.
        let late = Loads([1])
        let lookup = flags.lookup(viewer: 1, version: 5, ids: [1, 2])
        #expect(lookup.unknown == [1, 2])
        flags.remember(lookup, holding: try await late.load([1, 2]))
        #expect(flags.lookup(viewer: 1, version: 6, ids: [1, 2]).unknown == [1, 2])
    }

    @Test func viewersAreSeparateAndNoVersionMeansNoMemory() async throws {
        let flags = ViewerFlags(name: "test")
        _ = try await flags.flags(viewer: 1, version: 5, ids: [1], load: Loads([1]).load)
        #expect(flags.lookup(viewer: 2, version: 5, ids: [1]).unknown == [1])
        let loads = Loads([1])
        _ = try await flags.flags(viewer: 3, version: nil, ids: [1], load: loads.load)
        _ = try await flags.flags(viewer: 3, version: nil, ids: [1], load: loads.load)
        #expect(loads.asked.withLockedValue { $0.count } == 2)
    }

    @Test func everythingTheFactHoldsForAnswersEveryIdUntilTheVersionMoves() {
        let flags = ViewerFlags(name: "test", maxPerViewer: 2)
        let first = flags.lookup(viewer: 1, version: 5, ids: [2])
        #expect(first.startsOver)
        flags.remember(first, all: [2, 4])
        let later = flags.lookup(viewer: 1, version: 5, ids: [2, 3, 4, 9])
        #expect(later.set == [2, 4] && later.unknown.isEmpty && !later.startsOver)
        // Facts about some ids, loaded by a lookup that raced the full load, leave it whole.
        flags.remember(first, holding: [2])
        #expect(flags.lookup(viewer: 1, version: 5, ids: [4, 9]).set == [4])
        #expect(flags.lookup(viewer: 1, version: 6, ids: [2]).startsOver)
        // More ids than a viewer may keep: facts about the asked ids only.
        let many = flags.lookup(viewer: 2, version: 5, ids: [1, 2])
        flags.remember(many, all: [1, 3, 5])
        let after = flags.lookup(viewer: 2, version: 5, ids: [1, 2, 3])
        #expect(after.set == [1] && after.unknown == [3])
        // Without a version nothing is kept, and nothing is worth loading in full.
        let unversioned = flags.lookup(viewer: 3, version: nil, ids: [1])
        #expect(!unversioned.startsOver)
        flags.remember(unversioned, all: [1])
        #expect(flags.lookup(viewer: 3, version: 5, ids: [1]).unknown == [1])
    }

    @Test func entriesExpire() async throws {
        let flags = ViewerFlags(name: "test", maxAge: .milliseconds(50))
        _ = try await flags.flags(viewer: 1, version: 5, ids: [1], load: Loads([1]).load)
        #expect(flags.lookup(viewer: 1, version: 5, ids: [1]).unknown.isEmpty)
        try await Task.sleep(for: .milliseconds(80))
        #expect(flags.lookup(viewer: 1, version: 5, ids: [1]).unknown == [1])
        // Loaded again after expiry, the facts are remembered afresh, not merged into the expired entry.
        let again = Loads([1])
        #expect(try await flags.flags(viewer: 1, version: 5, ids: [1, 2], load: again.load) == [1])
        #expect(flags.lookup(viewer: 1, version: 5, ids: [1, 2]).unknown.isEmpty)
        #expect(again.asked.withLockedValue { $0 } == [[1, 2]])
    }
}

struct VersionedCacheTests {
    @Test func servesOnlyAtTheVersionItWasLoadedAt() async throws {
        let cache = VersionedCache<String, Int>(name: "test")
        let loads = NIOLockedValueBox(0)
        @Sendable func load() -> Int? { loads.withLockedValue { $0 += 1; return $0 } }
        #expect(try await cache.value(for: "page", version: 1, load: load) == 1)
        #expect(try await cache.value(for: "page", version: 1, load: load) == 1)
        #expect(try await cache.value(for: "page", version: 2, load: load) == 2)
        #expect(try await cache.value(for: "other", version: 2, load: load) == 3)
        // Redis could not say: always loaded, never kept.
        #expect(try await cache.value(for: "page", version: nil, load: load) == 4)
        #expect(try await cache.value(for: "page", version: 2, load: load) == 2)
    }

    @Test func nothingLoadedIsNotKept() async throws {
        let cache = VersionedCache<Int, Int>(name: "test")
        #expect(try await cache.value(for: 1, version: 1) { nil } == nil)
        #expect(try await cache.value(for: 1, version: 1) { 5 } == 5)
    }

    @Test func entriesExpire() async throws {
        let cache = VersionedCache<Int, Int>(name: "test", maxAge: .milliseconds(50))
        #expect(try await cache.value(for: 1, version: 1) { 5 } == 5)
        try await Task.sleep(for: .milliseconds(80))
        #expect(try await cache.value(for: 1, version: 1) { 6 } == 6)
    }
}
