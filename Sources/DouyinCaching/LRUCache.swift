/// A bounded map that evicts the least recently used entry when full.
///
/// Every read or write of a key makes it the most recent; inserting into a full
/// cache drops the oldest one only, so a burst of new keys never empties the hot
/// entries at once. Entries live in one array linked by index (no allocation per
/// hit), with the slots of removed entries reused.
///
/// A value type with no locking of its own: keep it in a lock, e.g. `NIOLockedValueBox`.
public struct LRUCache<Key: Hashable, Value> {
    fileprivate struct Node {
        var key: Key
        var value: Value
        /// Neighbours in recency order; -1 at either end.
        var newer: Int
        var older: Int
    }

    private var slots: [Key: Int] = [:]
    private var nodes: [Node] = []
    private var freeSlots: [Int] = []
    private var newest = -1
    private var oldest = -1
    public let capacity: Int
    private let metrics: CacheMetrics?

    /// - Parameter metrics: hit, miss and eviction counters, when the cache is worth watching.
    public init(capacity: Int, metrics: CacheMetrics? = nil) {
        precondition(capacity > 0, "a cache needs room for at least one entry")
        self.capacity = capacity
        self.metrics = metrics
    }

    public var count: Int { slots.count }

    /// Reading counts as a use (and as a hit or a miss); writing nil removes.
    public subscript(key: Key) -> Value? {
        mutating get {
            guard let slot = slots[key] else {
                metrics?.misses.increment()
                return nil
            }
            metrics?.hits.increment()
            touch(slot)
            return nodes[slot].value
        }
        set {
            if let newValue { insert(key, newValue) } else { removeValue(forKey: key) }
        }
    }

    /// Changes the value of `key` in place (starting from `initial()` when absent) and marks it used.
    public mutating func update<Result>(
        _ key: Key, initial: () -> Value, _ body: (inout Value) throws -> Result
    ) rethrows -> Result {
        let slot = slots[key] ?? insert(key, initial())
        touch(slot)
        return try body(&nodes[slot].value)
    }

    @discardableResult
    public mutating func removeValue(forKey key: Key) -> Value? {
        guard let slot = slots.removeValue(forKey: key) else { return nil }
        unlink(slot)
        freeSlots.append(slot)
        return nodes[slot].value
    }

    public mutating func removeAll() {
        self = LRUCache(capacity: capacity, metrics: metrics)
    }

    @discardableResult
    private mutating func insert(_ key: Key, _ value: Value) -> Int {
        if let slot = slots[key] {
            nodes[slot].value = value
            touch(slot)
            return slot
        }
        let slot: Int
        if slots.count >= capacity {
            slot = oldest
            slots[nodes[slot].key] = nil
            unlink(slot)
            nodes[slot] = Node(key: key, value: value, newer: -1, older: -1)
            metrics?.evictions.increment()
        } else if let free = freeSlots.popLast() {
            slot = free
            nodes[slot] = Node(key: key, value: value, newer: -1, older: -1)
        } else {
            slot = nodes.count
            nodes.append(Node(key: key, value: value, newer: -1, older: -1))
        }
        slots[key] = slot
        linkAsNewest(slot)
        return slot
    }

    private mutating func touch(_ slot: Int) {
        guard slot != newest else { return }
        unlink(slot)
        linkAsNewest(slot)
    }

    private mutating func unlink(_ slot: Int) {
        let (newer, older) = (nodes[slot].newer, nodes[slot].older)
        if newer >= 0 { nodes[newer].older = older } else { newest = older }
        if older >= 0 { nodes[older].newer = newer } else { oldest = newer }
        nodes[slot].newer = -1
        nodes[slot].older = -1
    }

    private mutating func linkAsNewest(_ slot: Int) {
        nodes[slot].older = newest
        nodes[slot].newer = -1
        if newest >= 0 { nodes[newest].newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }
}

extension LRUCache: Sendable where Key: Sendable, Value: Sendable {}
extension LRUCache.Node: Sendable where Key: Sendable, Value: Sendable {}
