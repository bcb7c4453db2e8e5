import DouyinModels
import DouyinPostgres

/// Every SQL statement about profiles and follows.
public struct ProfileStore: Sendable {
    let db: PostgresClient

    public init(db: PostgresClient) {
        self.db = db
    }

    /// Profile columns of a User, without video counters or the viewer's follow flag.
    public struct Profile: Sendable, Equatable {
        public var id: UserID
        public var name: String
        public var avatar: String
        public var backgroundImage: String
        public var signature: String
        public var followCount: Int64
        public var followerCount: Int64
    }

    /// Creates a profile; a second call for the same id changes nothing.
    public func create(id: UserID, name: String) async throws {
        try await db.query("INSERT INTO users.profiles (id, name) VALUES (\(id), \(name)) ON CONFLICT (id) DO NOTHING")
    }

    public func delete(id: UserID) async throws {
        try await db.query("DELETE FROM users.profiles WHERE id = \(id)")
    }

    /// Which of `ids` exist.
    public func existing(_ ids: [UserID]) async throws -> Set<UserID> {
        guard !ids.isEmpty else { return [] }
        return Set(try await db.query("SELECT id FROM users.profiles WHERE id = ANY(\(ids))").rows.map { try $0.column(0, as: Int64.self) })
    }

    /// Profiles of `ids` that exist, and which of them `viewer` follows: one round trip.
    public func profiles(_ ids: [UserID], viewer: UserID?) async throws -> (profiles: [UserID: Profile], followed: Set<UserID>) {
        guard !ids.isEmpty else { return ([:], []) }
        var profiles: [UserID: Profile] = [:]
        var followed: Set<UserID> = []
        // With no viewer, 0 matches no follower (ids are positive).
        let follower = viewer ?? 0
        for row in try await db.query(
            """
            SELECT p.id, p.name, p.avatar, p.background_image, p.signature, p.follow_count, p.follower_count,
                   EXISTS (SELECT 1 FROM users.follows f WHERE f.follower_id = \(follower) AND f.followee_id = p.id)
            FROM users.profiles p WHERE p.id = ANY(\(ids))
            """
        ).rows {
            let (id, name, avatar, background, signature, follows, followers, isFollowed) = try row.decode(
                Int64.self, String.self, String.self, String.self, String.self, Int64.self, Int64.self, Bool.self
            )
            profiles[id] = Profile(
                id: id, name: name, avatar: avatar, backgroundImage: background, signature: signature,
                followCount: follows, followerCount: followers
            )
            if isFollowed { followed.insert(id) }
        }
        return (profiles, followed)
    }
}
