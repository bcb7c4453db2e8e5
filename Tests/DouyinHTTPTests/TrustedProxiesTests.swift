@testable import DouyinHTTP
import Testing

/// The client's address behind proxies: believed only from trusted peers, and then
/// the rightmost hop that is not a trusted proxy.
struct TrustedProxiesTests {
    let proxies = try! TrustedProxies(parsing: "10.0.0.0/8, 192.168.1.5 fd00::/8")

    @Test func parsesAddressesAndBlocks() throws {
        #expect(proxies.contains("10.255.3.4") && proxies.contains("192.168.1.5") && proxies.contains("fd12::1"))
        #expect(!proxies.contains("11.0.0.1") && !proxies.contains("192.168.1.6") && !proxies.contains("fe80::1"))
        #expect(proxies.contains("::ffff:10.1.2.3"), "IPv4-mapped IPv6 is the IPv4 address")
        #expect(try TrustedProxies(parsing: "0.0.0.0/0").contains("203.0.113.9"))
        #expect(try TrustedProxies(parsing: "203.0.113.0/25").contains("203.0.113.127"))
        #expect(try !TrustedProxies(parsing: "203.0.113.0/25").contains("203.0.113.128"))
        #expect(try TrustedProxies(parsing: "").isEmpty)
        #expect(!proxies.contains("not an address") && !proxies.contains(""))
    }

    @Test(arguments: ["10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "lb.internal", "::1/129", "10.0.0.0/8/8", "10.0.0.0/-1", "10.0.0.0/٨"])
    func refusesWhatIsNotABlock(_ list: String) {
        #expect(throws: TrustedProxies.Malformed.self) { try TrustedProxies(parsing: list) }
    }

    @Test func anUntrustedPeerIsTheClientWhateverItClaims() {
        #expect(proxies.clientAddress(peer: "203.0.113.9", forwardedFor: ["198.51.100.1"]) == "203.0.113.9")
        #expect(TrustedProxies.none.clientAddress(peer: "10.0.0.1", forwardedFor: ["198.51.100.1"]) == "10.0.0.1")
    }

    @Test func throughTrustedProxiesTheRightmostUntrustedHop() {
        #expect(proxies.clientAddress(peer: "10.0.0.1", forwardedFor: ["198.51.100.1"]) == "198.51.100.1")
        // The client prepended a claim; the balancer appended what it saw.
        #expect(proxies.clientAddress(peer: "10.0.0.1", forwardedFor: ["1.1.1.1, 198.51.100.1"]) == "198.51.100.1")
        // Two trusted hops: an ingress behind a cloud balancer.
        #expect(proxies.clientAddress(peer: "10.0.0.1", forwardedFor: ["1.1.1.1, 198.51.100.1, 10.9.9.9"]) == "198.51.100.1")
        // Several header lines are one list, in order.
        #expect(proxies.clientAddress(peer: "10.0.0.1", forwardedFor: ["1.1.1.1", "198.51.100.1 , 10.9.9.9"]) == "198.51.100.1")
        #expect(proxies.clientAddress(peer: "10.0.0.1", forwardedFor: ["[2001:db8::7]:4711"]) == "2001:db8::7")
        #expect(proxies.clientAddress(peer: "10.0.0.1", forwardedFor: ["198.51.100.1:4711"]) == "198.51.100.1")
    }

    @Test func whatAProxyCannotHaveWrittenEndsTheWalkAtThatProxy() {
        #expect(proxies.clientAddress(peer: "10.0.0.1", forwardedFor: ["unknown"]) == "10.0.0.1")
        #expect(proxies.clientAddress(peer: "10.0.0.1", forwardedFor: ["198.51.100.1, garbage, 10.2.2.2"]) == "10.2.2.2")
        #expect(proxies.clientAddress(peer: "10.0.0.1", forwardedFor: []) == "10.0.0.1")
        // Only trusted hops: the farthest one is the best known.
        #expect(proxies.clientAddress(peer: "10.0.0.1", forwardedFor: ["10.3.3.3, 10.2.2.2"]) == "10.3.3.3")
    }
}
