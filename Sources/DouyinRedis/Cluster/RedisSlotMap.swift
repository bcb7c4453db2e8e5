/// Which node serves which slot, as `CLUSTER SLOTS` reports it (primaries only).
struct RedisSlotMap: Sendable {
    private(set) var nodes: [RedisNode]
    /// Per slot, an index into `nodes`; `unowned` where no node serves it.
    private var owners: [UInt16]
    private static let unowned = UInt16.max

    /// - Parameter askedNode: the node that answered; a node that does not know its own
    ///   address reports an empty host, meaning "the one you asked".
    init(clusterSlots reply: RedisValue, askedNode: RedisNode) throws {
        nodes = []
        owners = Array(repeating: Self.unowned, count: RedisClusterSlots.count)
        guard let ranges = reply.array else { throw RedisError.reply("CLUSTER SLOTS answered \(reply)") }
        for range in ranges {
            guard let parts = range.array, parts.count >= 3, let first = parts[0].integer, let last = parts[1].integer,
                let primary = parts[2].array, primary.count >= 2, let port = primary[1].integer,
                0 <= first, first <= last, last < RedisClusterSlots.count
            else { throw RedisError.reply("CLUSTER SLOTS answered a malformed range: \(range)") }
            let host = primary[0].string.flatMap { $0.isEmpty || $0 == "?" ? nil : $0 } ?? askedNode.host
            let owner = index(of: RedisNode(host: host, port: Int(port)))
            for slot in Int(first)...Int(last) { owners[slot] = owner }
        }
    }

    func node(for slot: Int) -> RedisNode? {
        let owner = owners[slot]
        return owner == Self.unowned ? nil : nodes[Int(owner)]
    }

    /// What a `MOVED` said: the slot is now served by `node`.
    mutating func assign(_ slot: Int, to node: RedisNode) {
        owners[slot] = index(of: node)
    }

    private mutating func index(of node: RedisNode) -> UInt16 {
        if let known = nodes.firstIndex(of: node) { return UInt16(known) }
        nodes.append(node)
        return UInt16(nodes.count - 1)
    }
}

/// A cluster's answer that the command belongs elsewhere: `MOVED` (for good) or `ASK`
/// (this once, while the slot migrates).
struct RedisRedirection: Equatable {
    enum Kind { case moved, ask }
    let kind: Kind
    let slot: Int
    let node: RedisNode

    /// `MOVED 3999 127.0.0.1:6381`; an empty host (`:6381`) is the node that answered.
    init?(_ reply: RedisValue, from askedNode: RedisNode) {
        guard case .error(let message) = reply else { return nil }
        let parts = message.split(separator: " ")
        guard parts.count == 3, let slot = Int(parts[1]), (0..<RedisClusterSlots.count).contains(slot) else { return nil }
        switch parts[0] {
        case "MOVED": kind = .moved
        case "ASK": kind = .ask
        default: return nil
        }
        let endpoint = parts[2].hasPrefix(":") ? Substring(askedNode.host) + parts[2] : parts[2]
        guard let node = RedisNode(endpoint) else { return nil }
        self.slot = slot
        self.node = node
    }
}
