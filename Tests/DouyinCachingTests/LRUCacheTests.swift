import DouyinCaching
import Testing

struct LRUCacheTests {
    @Test func aFullCacheDropsOnlyTheLeastRecentlyUsed() {
        var cache = LRUCache<Int, String>(capacity: 3)
        cache[1] = "one"
        cache[2] = "two"
        cache[3] = "three"
        _ = cache[1]  // 2 is now the least recently used
        cache[4] = "four"
        #expect(cache[2] == nil)
        #expect(cache[1] == "one" && cache[3] == "three" && cache[4] == "four")
        #expect(cache.count == 3)
    }

    @Test func aBurstOfNewKeysKeepsAnEntryUsedInBetween() {
        var cache = LRUCache<Int, String>(capacity: 4)
        cache[0] = "hot"
        for key in 1...1_000 {
            cache[key] = "cold"
            #expect(cache[0] == "hot", "used after every insertion, so never the oldest")
        }
        #expect(cache.count == 4)
    }

    @Test func updatingInPlaceStartsFromTheInitialValueAndCountsAsUse() {
        var cache = LRUCache<String, Int>(capacity: 2)
        #expect(cache.update("a", initial: { 10 }) { value -> Int in value += 1; return value } == 11)
        cache["b"] = 0
        cache.update("a", initial: { 0 }) { $0 += 1 }
        cache["c"] = 0  // "b" was used least recently
        #expect(cache["a"] == 12 && cache["b"] == nil && cache["c"] == 0)
    }

    @Test func removedSlotsAreReused() {
        var cache = LRUCache<Int, Int>(capacity: 2)
        cache[1] = 1
        cache[2] = 2
        #expect(cache.removeValue(forKey: 1) == 1)
        cache[3] = 3
        #expect(cache[2] == 2 && cache[3] == 3 && cache.count == 2)
        cache[2] = nil
        cache[3] = nil
        #expect(cache.count == 0 && cache[2] == nil)
        cache[4] = 4
        #expect(cache[4] == 4)
    }

    /// Against a plain model (a list in recency order) over many random operations.
    @Test func behavesLikeAnOrderedListUnderRandomOperations() {
        var generator = SplitMix(seed: 7)
        for capacity in [1, 2, 5, 16] {
            var cache = LRUCache<Int, Int>(capacity: capacity)
            var model: [(key: Int, value: Int)] = []  // most recent last
            for step in 0..<5_000 {
                let key = Int(generator.next() % 24)
                switch generator.next() % 4 {
                case 0, 1:
                    cache[key] = step
                    model.removeAll { $0.key == key }
                    model.append((key, step))
                    if model.count > capacity { model.removeFirst() }
                case 2:
                    let expected = model.firstIndex { $0.key == key }.map { model.remove(at: $0) }
                    if let expected { model.append(expected) }
                    #expect(cache[key] == expected?.value)
                default:
                    let expected = model.firstIndex { $0.key == key }.map { model.remove(at: $0).value }
                    #expect(cache.removeValue(forKey: key) == expected)
                }
                #expect(cache.count == model.count)
            }
        }
    }
}

struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
