extension Duration {
    /// Whole nanoseconds, the unit of the metrics' timers and the spans' timestamps.
    package var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }

    /// Seconds with their fraction, for SQL intervals and metrics in seconds.
    package var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
