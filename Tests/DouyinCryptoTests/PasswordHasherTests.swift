import DouyinCrypto
import Testing

@Suite struct PasswordHasherTests {
    // Cheap parameters keep the suite fast; the format and checks are the same.
    let hasher = PasswordHasher(logN: 10)

    @Test func verifiesTheRightPasswordOnly() throws {
        let hash = try hasher.hash("correct horse")
        #expect(try hasher.verify("correct horse", against: hash))
        #expect(try !hasher.verify("correct hors", against: hash))
        #expect(try !hasher.verify("Correct horse", against: hash))
    }

    @Test func saltsEveryHash() throws {
        #expect(try hasher.hash("same") != hasher.hash("same"))
    }

    @Test func hashCarriesItsParameters() throws {
        let hash = try hasher.hash("p@ssw0rd")
        #expect(hash.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
        // A verifier configured differently still checks it with the stored parameters.
        #expect(try PasswordHasher(logN: 15).verify("p@ssw0rd", against: hash))
    }

    @Test func unicodePasswordsAreBytesExact() throws {
        let hash = try hasher.hash("caf\u{E9}")
        #expect(try hasher.verify("caf\u{E9}", against: hash))
        #expect(try !hasher.verify("cafe\u{301}", against: hash))
    }

    @Test(arguments: ["", "plain", "$scrypt$ln=10,r=8,p=1$abc", "$scrypt$ln=99,r=8,p=1$AAAA$AAAA", "$bcrypt$x$y$z"])
    func malformedHashesAreRefused(_ encoded: String) {
        #expect(throws: CryptoError.self) { try hasher.verify("anything", against: encoded) }
    }
}

@Suite struct SecureRandomTests {
    @Test func bytesDiffer() throws {
        let a = try SecureRandom.bytes(32)
        let b = try SecureRandom.bytes(32)
        #expect(a.count == 32)
        #expect(a != b)
    }
}
