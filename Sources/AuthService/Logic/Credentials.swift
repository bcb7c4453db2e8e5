import DouyinModels

/// The rules for usernames and passwords (API.md 6.2).
enum Credentials {
    static let usernameLength = 1...32
    static let passwordLength = 6...32

    /// Control characters are refused in usernames: they are invisible and break logs.
    static func validateUsername(_ username: String) throws(DouyinError) {
        let scalars = username.unicodeScalars
        guard usernameLength.contains(scalars.count) else {
            throw .invalid("username", "must be \(usernameLength.lowerBound) to \(usernameLength.upperBound) characters")
        }
        guard !scalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw .invalid("username", "must not contain control characters")
        }
    }
}
