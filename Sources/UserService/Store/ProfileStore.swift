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

    /// Profiles of `ids` that exist, plus which of them `viewer` follows: one round trip each.
    public func profiles(_ ids: [UserID], viewer: UserID?) async throws -> (profiles: [UserID: Profile], followed: Set<UserID>) {
        guard !ids.isEmpty else { return ([:], []) }
        return try await db.withConnection { connection in
            var profiles: [UserID: Profile] = [:]
            for row in try connection.query(
                """
                SELECT id, name, avatar, background_image, signature, follow_count, follower_count
                FROM users.profiles WHERE id = ANY(\(ids))
                """
            ).rows {
                let (id, name, avatar, background, signature, follows, followers) = try row.decode(
                    Int64.self, String.self, String.self, String.self, String.self, Int64.self, Int64.self
                )
                profiles[id] = Profile(
                    id: id, name: name, avatar: avatar, backgroundImage: background, signature: signature,
                    followCount: follows, followerCount: followers
                )
            }
            var followed: Set<UserID> = []
            if let viewer, !profiles.isEmpty {
                for row in try connection.query(
                    "SELECT followee_id FROM users.follows WHERE follower_id = \(viewer) AND followee_id = ANY(\(ids))"
                ).rows {
                    followed.insert(try row.column(0, as: Int64.self))
                }
            }
            return (profiles, followed)
        }
    }
}
