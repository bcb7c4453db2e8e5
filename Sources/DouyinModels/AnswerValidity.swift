/// The content versions an answer was built at. While every one of them holds, and
/// for at most `maxAge`, the same request (the same target, host and viewer) gets the
/// same answer, so the gateway may repeat it after one read of the versions instead of
/// asking the service again.
///
/// Services attach it (`x-douyin-valid-while`) only to answers that depend on nothing
/// else: the versions are the ones their own caches are checked against, and every
/// write that changes such an answer moves one of them before it returns.
public struct AnswerValidity: Sendable, Equatable {
    /// Redis keys of `ContentVersions` counters, with the value each had.
    public var keys: [String]
    public var versions: [Int64]
    /// Bounds staleness if a writer could not move a version.
    public var maxAge: Duration

    public init(keys: [String], versions: [Int64], maxAge: Duration) {
        precondition(keys.count == versions.count, "one version per key")
        self.keys = keys
        self.versions = versions
        self.maxAge = maxAge
    }

    /// `<max age in ms> <key>=<version> ...`
    public var headerValue: String {
        var value = String(maxAge.components.seconds * 1000 + maxAge.components.attoseconds / 1_000_000_000_000_000)
        for (key, version) in zip(keys, versions) {
            value += " \(key)=\(version)"
        }
        return value
    }

    /// Nil for anything but a well-formed value with at least one version.
    public init?(headerValue: String) {
        let parts = headerValue.split(separator: " ")
        guard parts.count > 1, let millis = Int64(parts[0]), millis > 0 else { return nil }
        var keys: [String] = []
        var versions: [Int64] = []
        for part in parts.dropFirst() {
            guard let equals = part.lastIndex(of: "="), equals != part.startIndex,
                let version = Int64(part[part.index(after: equals)...])
            else { return nil }
            keys.append(String(part[..<equals]))
            versions.append(version)
        }
        self.init(keys: keys, versions: versions, maxAge: .milliseconds(millis))
    }
}
