#if canImport(Glibc)
import Glibc
#endif

/// The proxies (load balancers, ingress) whose `X-Forwarded-For` is believed, as a
/// list of CIDR blocks (`DOUYIN_TRUSTED_PROXIES`, e.g. `10.0.0.0/8, fd00::/8`).
///
/// Behind a balancer every connection comes from the balancer: without this, limits
/// per address would limit all users together. A header from anyone else is the
/// client's own claim and is ignored.
public struct TrustedProxies: Sendable, Equatable {
    struct Block: Sendable, Equatable {
        /// 4 bytes (IPv4) or 16 (IPv6).
        let network: [UInt8]
        let prefixLength: Int

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == network.count else { return false }
            var remaining = prefixLength
            for (byte, networkByte) in zip(address, network) where remaining > 0 {
                let bits = min(8, remaining)
                let mask: UInt8 = bits == 8 ? 0xFF : ~(0xFF >> UInt8(bits))
                if byte & mask != networkByte & mask { return false }
                remaining -= bits
            }
            return true
        }
    }

    let blocks: [Block]

    public static let none = TrustedProxies(blocks: [])

    init(blocks: [Block]) {
        self.blocks = blocks
    }

    /// Parses a comma- or space-separated list of addresses and CIDR blocks.
    public init(parsing list: String) throws(Malformed) {
        var blocks: [Block] = []
        for entry in list.split(whereSeparator: { $0 == "," || $0 == " " }) {
            let parts = entry.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let network = Self.bytes(of: parts[0]) else { throw Malformed(entry: String(entry)) }
            let maximum = network.count * 8
            let length = parts.count == 2 ? Int(parts[1]) : maximum
            guard let length, (0...maximum).contains(length), parts.count == 1 || parts[1].allSatisfy(\.isASCII) else {
                throw Malformed(entry: String(entry))
            }
            blocks.append(Block(network: network, prefixLength: length))
        }
        self.blocks = blocks
    }

    public struct Malformed: Error, Equatable, CustomStringConvertible {
        public let entry: String
        public var description: String { "\"\(entry)\" is not an IP address or CIDR block" }
    }

    public var isEmpty: Bool { blocks.isEmpty }

    public func contains(_ address: some StringProtocol) -> Bool {
        guard let bytes = Self.bytes(of: address) else { return false }
        return blocks.contains { $0.contains(bytes) }
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy; then the
    /// rightmost `X-Forwarded-For` hop that is not one (each trusted hop appended the
    /// address it saw; what lies left of the first untrusted hop is that client's claim).
    /// - Parameter forwardedFor: the header's values in order (a request may carry several lines).
    public func clientAddress(peer: String?, forwardedFor: [String]) -> String? {
        guard let peer, !blocks.isEmpty, contains(peer), !forwardedFor.isEmpty else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { Self.hostPart(Substring($0.trimmingSpaces)) }
        var client = peer
        for hop in hops.reversed() {
            // A hop a trusted proxy wrote is an address; anything else ends the walk at that proxy.
            guard Self.bytes(of: hop) != nil else { return client }
            client = String(hop)
            if !contains(hop) { return client }
        }
        return client
    }

    /// `1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:443` or `2001:db8::1`, as the address alone.
    static func hostPart(_ hop: Substring) -> Substring {
        var hop = hop
        if hop.first == "[", let close = hop.firstIndex(of: "]") {
            return hop[hop.index(after: hop.startIndex)..<close]
        }
        if hop.filter({ $0 == ":" }).count == 1, let colon = hop.firstIndex(of: ":") { hop = hop[..<colon] }
        return hop
    }

    /// The address's bytes: 4 for IPv4 (also when written IPv4-mapped in IPv6), 16 for IPv6.
    static func bytes(of text: some StringProtocol) -> [UInt8]? {
        guard !text.isEmpty, text.utf8.count <= 45 else { return nil }
        let text = String(text)
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF { return Array(bytes[12...]) }
        return bytes
    }
}
