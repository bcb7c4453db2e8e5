import Metrics

/// Counters of one named cache: `douyin_cache_{hits,misses,evictions}_total{cache="<name>"}`.
/// A hit ratio falling or evictions climbing says the cache is sized too small.
public struct CacheMetrics: Sendable {
    let hits: Counter
    let misses: Counter
    let evictions: Counter

    public init(name: String) {
        hits = Counter(label: "douyin_cache_hits_total", dimensions: [("cache", name)])
        misses = Counter(label: "douyin_cache_misses_total", dimensions: [("cache", name)])
        evictions = Counter(label: "douyin_cache_evictions_total", dimensions: [("cache", name)])
    }

    // Called from the inlined cache code; the counters themselves stay behind these calls.
    @usableFromInline func hit() { hits.increment() }
    @usableFromInline func miss() { misses.increment() }
    @usableFromInline func eviction() { evictions.increment() }
}
