/// A bounded map that forgets what was not used lately, without tracking recency per hit.
///
/// Entries live in two generations. New entries go to the young one; when it is
/// full, it becomes the old one and the previous old generation is dropped. A hit
/// in the old generation moves the entry back to the young one. So an entry used
/// at least once per `capacity` insertions stays, and a burst of new keys pushes
/// out only what that burst outlived, never the hot entries all at once.
///
/// A value type with no locking of its own: keep it in a lock, e.g. `NIOLockedValueBox`.
public struct GenerationalCache<Key: Hashable, Value> {
    private var young: [Key: Value] = [:]
    private var old: [Key: Value] = [:]
    /// Entries per generation; at most twice this many are held.
    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity > 0, "a cache needs room for at least one entry")
        self.capacity = capacity
    }

    public var count: Int { young.count + old.count }

    public subscript(key: Key) -> Value? {
        mutating get {
            if let value = young[key] { return value }
            guard let value = old.removeValue(forKey: key) else { return nil }
            insert(key, value)
            return value
        }
        set {
            if let newValue {
                insert(key, newValue)
            } else {
                young[key] = nil
                old[key] = nil
            }
        }
    }

    private mutating func insert(_ key: Key, _ value: Value) {
        old[key] = nil
        young[key] = value
        if young.count >= capacity {
            old = young
            young = Dictionary(minimumCapacity: capacity)
        }
    }
}

extension GenerationalCache: Sendable where Key: Sendable, Value: Sendable {}
