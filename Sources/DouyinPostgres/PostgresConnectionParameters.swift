import CLibPQ

#if canImport(Glibc)
import Glibc
#endif

/// What libpq connects with: a connection string (a `postgresql://` URI or
/// `key=value` pairs) between parameters it may override and parameters it may not.
///
/// libpq reads the keywords in order and keeps the last value of each, with the
/// string expanded where it stands (`PQconnectdbParams` with `expand_dbname`).
public struct PostgresConnectionParameters: Sendable {
    public var conninfo: String
    public var defaults: [(keyword: String, value: String)]
    public var overrides: [(keyword: String, value: String)]

    public init(
        conninfo: String, defaults: [(keyword: String, value: String)] = [], overrides: [(keyword: String, value: String)] = []
    ) {
        self.conninfo = conninfo
        self.defaults = defaults
        self.overrides = overrides
    }

    /// In libpq's order: what comes later wins.
    public var keywords: [(keyword: String, value: String)] {
        defaults + [("dbname", conninfo)] + overrides
    }

    /// A new connection (blocking), whatever its status; nil only when libpq is out of memory.
    func connect() -> OpaquePointer? {
        let pairs = keywords
        let keys = pairs.map { strdup($0.keyword) }
        let values = pairs.map { strdup($0.value) }
        defer { (keys + values).forEach { free($0) } }
        let keyPointers = keys.map { UnsafePointer($0) } + [nil]
        let valuePointers = values.map { UnsafePointer($0) } + [nil]
        return PQconnectdbParams(keyPointers, valuePointers, 1)
    }
}
