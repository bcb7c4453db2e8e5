/// The services of the system, as named in the registry.
public enum ServiceName: String, Sendable, Codable, CaseIterable {
    case gateway, auth, user, video, chat
}
