import NIOConcurrencyHelpers

/// Metric objects made once per label set and reused.
///
/// Making a `Counter` or `Timer` asks the factory, which validates the name and
/// looks the series up under its lock: too much to pay on every request or call.
package final class MetricCache<Key: Hashable & Sendable, Series: Sendable>: Sendable {
    private let entries = NIOLockedValueBox<[Key: Series]>([:])
    private let make: @Sendable (Key) -> Series

    package init(_ make: @escaping @Sendable (Key) -> Series) {
        self.make = make
    }

    package subscript(key: Key) -> Series {
        entries.withLockedValue { entries in
            if let series = entries[key] { return series }
            let series = make(key)
            entries[key] = series
            return series
        }
    }
}
