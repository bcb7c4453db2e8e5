/// One Redis server's address.
public struct RedisNode: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port` (`[v6]:port` for IPv6 literals).
    public init?(_ text: some StringProtocol) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port)
        else { return nil }
        var host = text[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "," }) else { return nil }
        self.init(host: String(host), port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// A comma-separated list of nodes (`DOUYIN_REDIS_CLUSTER_NODES`).
    public static func list(_ text: String) throws(MalformedNode) -> [RedisNode] {
        try text.split(separator: ",").map { entry throws(MalformedNode) in
            let trimmed = entry.trimmingSpaces
            guard let node = RedisNode(trimmed) else { throw MalformedNode(entry: String(trimmed)) }
            return node
        }
    }

    public struct MalformedNode: Error, CustomStringConvertible {
        public let entry: String
        public var description: String { "\"\(entry)\" is not host:port" }
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return text
    }
}
