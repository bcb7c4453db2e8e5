@testable import DouyinObservability
import Testing

@Suite struct TraceParentTests {
    @Test func parsesAndContinuesATrace() throws {
        let parent = try #require(TraceParent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
        #expect(parent.traceID == "0af7651916cd43dd8448eb211c80319c")
        let child = parent.child()
        #expect(child.traceID == parent.traceID && child.spanID != parent.spanID)
        #expect(TraceParent(child.description) == child)
    }

    @Test(arguments: [
        "", "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
        "00-00000000000000000000000000000000-b7ad6b7169203331-01", "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", "00-0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g", "00-0af7651916cd43dd8448eb211c8031é-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-",
    ])
    func refusesInvalidHeaders(_ header: String) {
        #expect(TraceParent(header) == nil)
    }

    @Test func startsFreshTraces() {
        let a = TraceParent.start()
        #expect(TraceParent(a.description) == a)
        #expect(a.traceID != TraceParent.start().traceID)
    }

    @Test func identifiersAreDistinctLowercaseHex() {
        let ids = (0..<100_000).map { _ in IdentifierRandom.hex(words: 1) }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.utf8.count == 16 && $0.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) } })
        // Both halves of the bits vary: not a counter in disguise.
        #expect(Set(ids.prefix(1000).map { $0.prefix(4) }).count > 500)
    }
}
