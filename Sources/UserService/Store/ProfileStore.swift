import DouyinHTTP
import DouyinModels
import DouyinPostgres

/// Every SQL statement about profiles.
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

    /// Users whose name contains `query.keyword` or resembles it (trigram similarity),
    /// most similar first, then most followed; the query's page and one more.
    public func search(_ query: SearchQuery) async throws -> [UserID] {
        try await db.query(
            """
            SELECT id FROM users.profiles
            WHERE name ILIKE \(query.containsPattern) OR name OPERATOR(public.%) \(query.keyword)
            ORDER BY public.similarity(name, \(query.keyword)) DESC, follower_count DESC, id
            OFFSET \(query.offset) LIMIT \(query.fetchLimit)
            """
        ).rows.map { try $0.column(0, as: Int64.self) }
    }

    /// Profiles of `ids` that exist.
    public func profiles(_ ids: [UserID]) async throws -> [UserID: Profile] {
        guard !ids.isEmpty else { return [:] }
        var profiles: [UserID: Profile] = [:]
        for row in try await db.query(
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
        return profiles
    }
}
