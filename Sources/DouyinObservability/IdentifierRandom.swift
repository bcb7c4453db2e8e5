import Synchronization

/// Random-looking 64-bit values for trace, span and request ids, and for
/// spreading load: unique and unpredictable enough for those, not secrets.
///
/// The system generator costs a `getrandom(2)` call per value, and every
/// request makes several ids in every process it crosses; this is SplitMix64
/// over an atomic counter from a random seed: one relaxed increment per value,
/// never the same value twice in a process (the mix is a bijection).
package enum IdentifierRandom {
    private static let seed = UInt64.random(in: .min ... .max)
    private static let counter = Atomic<UInt64>(0)

    package static func next() -> UInt64 {
        var z = seed &+ counter.add(1, ordering: .relaxed).newValue &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The same values as a generator, for `randomElement(using:)` and the like.
    package struct Generator: RandomNumberGenerator {
        package init() {}

        package mutating func next() -> UInt64 { IdentifierRandom.next() }
    }

    /// `count` values as lowercase hex, 16 digits each, never all zeros.
    package static func hex(words count: Int) -> String {
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: count * 16) { buffer in
            var index = 0
            for word in 0..<count {
                var value = next()
                if value == 0, word == count - 1 { value = 1 }
                for shift in stride(from: 60, through: 0, by: -4) {
                    buffer[index] = digits.utf8Start[Int((value >> UInt64(shift)) & 0xF)]
                    index += 1
                }
            }
            return index
        }
    }
}
