import DouyinCaching
import DouyinModels
import NIOConcurrencyHelpers

/// One yes/no fact per (viewer, item) that pages show, such as "the viewer likes
/// this video" or "the viewer follows this user", remembered while the viewer's
/// `ContentVersions` counter is unchanged.
///
/// Only the viewer's own actions change these facts, and each of them bumps the
/// viewer's version after it commits and before it answers. So a fact read at the
/// version the viewer has now is current: after their own like returns, no
/// instance serves the old flag. Facts are stored under the version read before
/// loading them, so a write racing the load leaves them already stale. Entries
/// also expire after `maxAge`, which bounds staleness if a bump failed.
///
/// Where the ids a fact holds for are few (everyone a viewer follows, mostly), all of
/// them can be kept at once (`remember(_:all:)`): then every question about the viewer
/// is answered from memory, not only those asked before.
public final class ViewerFlags: Sendable {
    private struct Entry: Sendable {
        let version: Int64
        let storedAt: ContinuousClock.Instant
        var known: [Int64: Bool]
        /// `known` holds every id the fact holds for: any other id is a no.
        var isComplete = false
    }

    public typealias Load = @Sendable ([Int64]) async throws -> Set<Int64>

    private let entries: NIOLockedValueBox<LRUCache<UserID, Entry>>
    private let maxAge: Duration
    /// Facts kept per viewer; a viewer who saw more starts over.
    public let maxPerViewer: Int

    /// At most `maxViewers` viewers are held (the least recently seen go first), each with
    /// at most `maxPerViewer` facts: a viewer sees a page or two within `maxAge`, far fewer.
    /// - Parameter name: the cache's label on the `douyin_cache_*` metrics.
    public init(name: String, maxViewers: Int = CacheSizes().viewers, maxPerViewer: Int = 512, maxAge: Duration = .seconds(5)) {
        self.entries = NIOLockedValueBox(LRUCache(capacity: maxViewers, metrics: CacheMetrics(name: name)))
        self.maxAge = maxAge
        self.maxPerViewer = maxPerViewer
    }

    /// What is remembered about some ids, and which ids must be loaded.
    public struct Lookup: Sendable {
        /// The remembered ids the fact holds for.
        public let set: Set<Int64>
        /// Ids with nothing remembered: load them, then `remember` what was loaded.
        public let unknown: [Int64]
        /// Nothing is remembered for the viewer at this version yet, and what is loaded now
        /// will be: the moment to load everything the fact holds for (`remember(_:all:)`).
        public let startsOver: Bool
        fileprivate let viewer: UserID
        fileprivate let version: Int64?
        fileprivate let at: ContinuousClock.Instant
    }

    /// Which of `ids` the fact holds for, as far as remembered for `viewer` at `version`.
    /// A nil version (Redis could not say) remembers nothing.
    public func lookup(viewer: UserID, version: Int64?, ids: [Int64]) -> Lookup {
        let now = ContinuousClock.now
        guard let version else { return Lookup(set: [], unknown: ids, startsOver: false, viewer: viewer, version: nil, at: now) }
        var set: Set<Int64> = []
        var unknown: [Int64] = []
        var startsOver = false
        entries.withLockedValue { entries in
            guard let entry = entries[viewer], isCurrent(entry, version: version, at: now) else {
                unknown = ids
                startsOver = true
                return
            }
            for id in ids {
                switch entry.known[id] {
                case true?: set.insert(id)
                case false?: break
                case nil: if !entry.isComplete { unknown.append(id) }
                }
            }
        }
        return Lookup(set: set, unknown: unknown, startsOver: startsOver, viewer: viewer, version: version, at: now)
    }

    private func isCurrent(_ entry: Entry, version: Int64, at now: ContinuousClock.Instant) -> Bool {
        entry.version == version && entry.storedAt.duration(to: now) < maxAge
    }

    /// Keeps what was loaded for a lookup's unknown ids: `holding` are those the fact holds for.
    /// Facts loaded at a current entry's version are merged; otherwise they replace the
    /// entry (lookups match versions exactly, so an older entry is never served), and
    /// its age starts from this lookup.
    public func remember(_ lookup: Lookup, holding: Set<Int64>) {
        guard let version = lookup.version, !lookup.unknown.isEmpty else { return }
        entries.withLockedValue { entries in
            var entry = entries[lookup.viewer].flatMap { isCurrent($0, version: version, at: lookup.at) ? $0 : nil }
                ?? Entry(version: version, storedAt: lookup.at, known: [:])
            guard !entry.isComplete else { return }  // it knows these already
            if entry.known.count + lookup.unknown.count > maxPerViewer { entry.known.removeAll() }
            for id in lookup.unknown.prefix(maxPerViewer) { entry.known[id] = holding.contains(id) }
            entries[lookup.viewer] = entry
        }
    }

    /// Keeps, for a lookup's viewer, every id the fact holds for (`all`, loaded for that
    /// lookup), so that any id is answered without loading until the version moves. More
    /// than `maxPerViewer` ids are kept as facts about the lookup's unknown ids only.
    public func remember(_ lookup: Lookup, all: Set<Int64>) {
        guard all.count <= maxPerViewer else { return remember(lookup, holding: all) }
        guard let version = lookup.version else { return }
        let entry = Entry(version: version, storedAt: lookup.at, known: Dictionary(uniqueKeysWithValues: all.map { ($0, true) }), isComplete: true)
        entries.withLockedValue { $0[lookup.viewer] = entry }
    }

    /// `lookup`, `load` for the unknown ids (once, only those), `remember`: the ids of `ids` the fact holds for.
    public func flags(viewer: UserID, version: Int64?, ids: [Int64], load: Load) async throws -> Set<Int64> {
        let found = lookup(viewer: viewer, version: version, ids: ids)
        guard !found.unknown.isEmpty else { return found.set }
        let loaded = try await load(found.unknown)
        remember(found, holding: loaded)
        return found.set.union(loaded)
    }
}
