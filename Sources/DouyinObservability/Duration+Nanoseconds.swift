extension Duration {
    /// Whole nanoseconds, the unit of the metrics' timers and the spans' timestamps.
    package var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
