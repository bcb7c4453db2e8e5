/// A bounded map that evicts the least recently used entry when full.
///
/// Every read or write of a key makes it the most recent; inserting into a full
/// cache drops the oldest one only, so a burst of new keys never empties the hot
/// entries at once. Entries live in one array linked by index (no allocation per
/// hit), with the slots of removed entries reused.
///
/// A value type with no locking of its own: keep it in a lock, e.g. `NIOLockedValueBox`.
///
/// Inlinable, so each cache is specialized for its key and value where it is used: in
/// generic form every hit copied whole entries through value witnesses (a sixth of the
/// user service's time on a page of 100 users).
public struct LRUCache<Key: Hashable, Value> {
    @usableFromInline
    struct Node {
        @usableFromInline var key: Key
        @usableFromInline var value: Value
        /// Neighbours in recency order; -1 at either end.
        @usableFromInline var newer: Int
        @usableFromInline var older: Int

        @inlinable
        init(key: Key, value: Value, newer: Int, older: Int) {
            self.key = key
            self.value = value
            self.newer = newer
            self.older = older
        }
    }

    @usableFromInline var slots: [Key: Int] = [:]
    @usableFromInline var nodes: [Node] = []
    @usableFromInline var freeSlots: [Int] = []
    @usableFromInline var newest = -1
    @usableFromInline var oldest = -1
    public let capacity: Int
    @usableFromInline let metrics: CacheMetrics?

    /// - Parameter metrics: hit, miss and eviction counters, when the cache is worth watching.
    @inlinable
    public init(capacity: Int, metrics: CacheMetrics? = nil) {
        precondition(capacity > 0, "a cache needs room for at least one entry")
        self.capacity = capacity
        self.metrics = metrics
    }

    @inlinable
    public var count: Int { slots.count }

    /// Reading counts as a use (and as a hit or a miss); writing nil removes.
    @inlinable
    public subscript(key: Key) -> Value? {
        mutating get {
            guard let slot = slots[key] else {
                metrics?.miss()
                return nil
            }
            metrics?.hit()
            touch(slot)
            return nodes[slot].value
        }
        set {
            if let newValue { insert(key, newValue) } else { removeValue(forKey: key) }
        }
    }

    /// Changes the value of `key` in place (starting from `initial()` when absent) and marks it used.
    @inlinable
    public mutating func update<Result>(
        _ key: Key, initial: () -> Value, _ body: (inout Value) throws -> Result
    ) rethrows -> Result {
        let slot = slots[key] ?? insert(key, initial())
        touch(slot)
        return try body(&nodes[slot].value)
    }

    @inlinable @discardableResult
    public mutating func removeValue(forKey key: Key) -> Value? {
        guard let slot = slots.removeValue(forKey: key) else { return nil }
        unlink(slot)
        freeSlots.append(slot)
        return nodes[slot].value
    }

    /// Takes out the least recently used entry (for a cache bounded by more than its count).
    @inlinable @discardableResult
    public mutating func removeOldest() -> (key: Key, value: Value)? {
        guard oldest >= 0 else { return nil }
        let node = nodes[oldest]
        removeValue(forKey: node.key)
        metrics?.eviction()
        return (node.key, node.value)
    }

    @inlinable
    public mutating func removeAll() {
        self = LRUCache(capacity: capacity, metrics: metrics)
    }

    @inlinable @discardableResult
    mutating func insert(_ key: Key, _ value: Value) -> Int {
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
            metrics?.eviction()
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

    @inlinable
    mutating func touch(_ slot: Int) {
        guard slot != newest else { return }
        unlink(slot)
        linkAsNewest(slot)
    }

    @inlinable
    mutating func unlink(_ slot: Int) {
        let (newer, older) = (nodes[slot].newer, nodes[slot].older)
        if newer >= 0 { nodes[newer].older = older } else { newest = older }
        if older >= 0 { nodes[older].newer = newer } else { oldest = newer }
        nodes[slot].newer = -1
        nodes[slot].older = -1
    }

    @inlinable
    mutating func linkAsNewest(_ slot: Int) {
        nodes[slot].older = newest
        nodes[slot].newer = -1
        if newest >= 0 { nodes[newest].newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }
}

extension LRUCache: Sendable where Key: Sendable, Value: Sendable {}
extension LRUCache.Node: Sendable where Key: Sendable, Value: Sendable {}
