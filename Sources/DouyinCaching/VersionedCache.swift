import NIOConcurrencyHelpers

/// Values kept in memory while a `ContentVersions` counter they depend on is unchanged.
///
/// The caller reads the version before asking; a value is served only at exactly
/// the version it was loaded at, and it is stored under the version read before
/// loading, so a write racing the load leaves it already stale. Values also expire
/// after `maxAge`, which bounds staleness if a writer could not bump the version.
public final class VersionedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    @usableFromInline
    struct Entry: Sendable {
        @usableFromInline let version: Int64
        @usableFromInline let storedAt: ContinuousClock.Instant
        @usableFromInline let value: Value

        @inlinable
        init(version: Int64, storedAt: ContinuousClock.Instant, value: Value) {
            self.version = version
            self.storedAt = storedAt
            self.value = value
        }
    }

    /// How long an entry lives at most, whatever the version says.
    public let maxAge: Duration
    // Inlinable (like `LRUCache`), so each cache is specialized for its key and value where used.
    @usableFromInline let entries: NIOLockedValueBox<LRUCache<Key, Entry>>

    /// - Parameter name: the cache's label on the `douyin_cache_*` metrics.
    public init(name: String, maxAge: Duration = .seconds(5), capacity: Int = CacheSizes().pages) {
        self.maxAge = maxAge
        self.entries = NIOLockedValueBox(LRUCache(capacity: capacity, metrics: CacheMetrics(name: name)))
    }

    /// The value for `key` at `version`, from memory or from `load`. A nil version (Redis
    /// could not say) loads and keeps nothing; so does a nil loaded value.
    @inlinable
    public func value(for key: Key, version: Int64?, load: () async throws -> Value?) async throws -> Value? {
        guard let version else { return try await load() }
        let now = ContinuousClock.now
        if let entry = entries.withLockedValue({ $0[key] }), entry.version == version, entry.storedAt.duration(to: now) < maxAge {
            return entry.value
        }
        guard let loaded = try await load() else { return nil }
        entries.withLockedValue { $0[key] = Entry(version: version, storedAt: now, value: loaded) }
        return loaded
    }
}
