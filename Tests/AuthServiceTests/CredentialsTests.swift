@testable import AuthService
import DouyinModels
import Testing

@Suite struct CredentialsTests {
    @Test(arguments: ["a", "alice", "Ünïcødé", "😀", "with space", String(repeating: "x", count: 32), "e\u{301}"])
    func acceptsUsernames(_ name: String) throws {
        try Credentials.validateUsername(name)
    }

    @Test(arguments: ["", String(repeating: "x", count: 33), "tab\t", "new\nline", "del\u{7F}", "nul\u{0}", "\u{1F}"])
    func refusesUsernames(_ name: String) {
        #expect(throws: DouyinError.self) { try Credentials.validateUsername(name) }
    }

    @Test func lengthIsInCodePoints() throws {
        // 32 code points but 64 UTF-16 units and 128 bytes.
        try Credentials.validateUsername(String(repeating: "😀", count: 32))
        #expect(throws: DouyinError.self) { try Credentials.validateUsername(String(repeating: "😀", count: 33)) }
    }
}
