import DouyinCaching
import DouyinHTTP
import DouyinModels
import NIOConcurrencyHelpers

/// Assembled User objects, kept in memory while the user's `ContentVersions`
/// counter is unchanged, with their `GET /douyin/user/` answers once asked for
/// (so a hit skips JSON encoding too). The user service fills it from its tables;
/// other services from the user service (`Loaders.remote`), so their pages cost
/// no call while the users on them are unchanged.
///
/// A User has two parts with different owners: what the user is (profile and
/// counters, changed only by writes that bump the user's version) and whether the
/// viewer follows them (changed only by the viewer's own follows, which bump the
/// viewer's version). Each is cached under its owner's version, so one entry per
/// user serves every viewer, and a viewer's follow flags serve every page they open.
/// Checking costs one Redis pipeline of GETs for the batch and the viewer; when Redis
/// cannot be read, everything is loaded fresh. Entries also expire after `maxAge`,
/// which bounds staleness if a writer could not bump a version.
public final class UserCache: Sendable {
    /// Where missing parts come from.
    public struct Loaders: Sendable {
        /// The users that exist among the ids, with `isFollow` false.
        public var users: @Sendable ([UserID]) async throws -> [UserID: User]
        /// Which of the ids the viewer (first argument) follows.
        public var followed: @Sendable (UserID, [UserID]) async throws -> Set<UserID>
        /// Everyone the viewer (first argument) follows, when that is at most the given
        /// number of users; nil when more. Given, one load answers every follow flag of
        /// the viewer while their version holds: each profile they open after the first,
        /// each page of other users, costs no query.
        public var everyoneFollowed: (@Sendable (UserID, Int) async throws -> Set<UserID>?)?

        public init(
            users: @escaping @Sendable ([UserID]) async throws -> [UserID: User],
            followed: @escaping @Sendable (UserID, [UserID]) async throws -> Set<UserID>,
            everyoneFollowed: (@Sendable (UserID, Int) async throws -> Set<UserID>?)? = nil
        ) {
            self.users = users
            self.followed = followed
            self.everyoneFollowed = everyoneFollowed
        }
    }

    private struct Entry: Sendable {
        let version: Int64
        /// As nobody in particular sees the user: `isFollow` false.
        let user: User
        let storedAt: ContinuousClock.Instant
        /// Encoded user-info answers, by `is_follow`.
        var answers: [Bool: EncodedAPIResponse] = [:]
    }

    private let versions: ContentVersions
    /// How long an entry lives at most, whatever the versions say.
    public let maxAge: Duration
    private let entries: NIOLockedValueBox<LRUCache<UserID, Entry>>
    private let follows: ViewerFlags

    public init(versions: ContentVersions, sizes: CacheSizes = CacheSizes(), maxAge: Duration = .seconds(5)) {
        self.versions = versions
        self.maxAge = maxAge
        self.entries = NIOLockedValueBox(LRUCache(capacity: sizes.users, metrics: CacheMetrics(name: "users")))
        self.follows = ViewerFlags(name: "follow_flags", maxViewers: sizes.viewers, maxAge: maxAge)
    }

    /// The users among `ids` (distinct) that exist, as `viewer` sees them.
    public func users(_ ids: [UserID], viewer: UserID?, load: Loaders) async throws -> [UserID: User] {
        try await usersAndVersions(ids, viewer: viewer, load: load).users
    }

    /// The same, with the versions (of `ids` and `viewer`) they hold for; nil when Redis could not say.
    public func usersAndVersions(_ ids: [UserID], viewer: UserID?, load: Loaders) async throws -> (users: [UserID: User], versions: [UserID: Int64]?) {
        let current = try? await versions.users(viewer.map { ids.contains($0) ? ids : ids + [$0] } ?? ids)
        return (try await users(ids, viewer: viewer, versions: current, load: load), current)
    }

    /// The same with the versions already read (of `ids` and `viewer`; nil when Redis
    /// could not say), for a caller that read them with others in one round trip.
    public func users(_ ids: [UserID], viewer: UserID?, versions current: [UserID: Int64]?, load: Loaders) async throws -> [UserID: User] {
        let now = ContinuousClock.now
        var users: [UserID: User] = [:]
        var missing: [UserID] = []
        entries.withLockedValue { entries in
            for id in ids {
                if let version = current?[id], let entry = entries[id], entry.version == version, entry.storedAt.duration(to: now) < maxAge {
                    users[id] = entry.user
                } else {
                    missing.append(id)
                }
            }
        }
        // Never "following yourself" (API.md 4).
        let flags = viewer.map { viewer in follows.lookup(viewer: viewer, version: current?[viewer], ids: ids.filter { $0 != viewer }) }
        let unknownFlags = flags?.unknown ?? []
        var followed = flags?.set ?? []
        switch (missing.isEmpty, unknownFlags.isEmpty) {
        case (true, true):
            break
        case (false, true):
            users.merge(try await loadUsers(missing, versions: current, at: now, load: load)) { _, new in new }
        case (true, false):
            followed.formUnion(try await loadFlags(flags!, viewer: viewer!, load: load))
        case (false, false):
            async let loadedFlags = loadFlags(flags!, viewer: viewer!, load: load)
            users.merge(try await loadUsers(missing, versions: current, at: now, load: load)) { _, new in new }
            followed.formUnion(try await loadedFlags)
        }
        for id in followed where users[id] != nil { users[id]!.isFollow = true }
        return users
    }

    /// The user-info answer for `id` as `viewer` sees it, encoded once per cached entry,
    /// with the versions of the two it depends on: the user and the viewer.
    public func answer(_ id: UserID, viewer: UserID?, load: Loaders) async throws -> ValidatedAnswer {
        let (users, current) = try await usersAndVersions([id], viewer: viewer, load: load)
        guard let user = users[id] else { throw DouyinError(.userNotFound) }
        let validity = current.map { ContentVersions.validity(users: $0, maxAge: maxAge) }
        return ValidatedAnswer(encodedAnswer(user), validity: validity)
    }

    private func encodedAnswer(_ user: User) -> EncodedAPIResponse {
        let id = user.id
        var plain = user
        plain.isFollow = false
        // The entry may have been replaced since `users` read it: its answers count only for the same User.
        if let answer = entries.withLockedValue({ $0[id].flatMap { $0.user == plain ? $0.answers[user.isFollow] : nil } }) {
            return answer
        }
        let answer = EncodedAPIResponse(UserResponse(user: user))
        entries.withLockedValue { entries in
            guard var entry = entries[id], entry.user == plain else { return }
            entry.answers[user.isFollow] = answer
            entries[id] = entry
        }
        return answer
    }

    private func loadUsers(
        _ ids: [UserID], versions current: [UserID: Int64]?, at now: ContinuousClock.Instant, load: Loaders
    ) async throws -> [UserID: User] {
        let loaded = try await load.users(ids)
        guard let current else { return loaded }
        entries.withLockedValue { entries in
            // Stored under the version read before loading: a write racing the load
            // has bumped past it, so the next read reloads.
            for (id, user) in loaded {
                entries[id] = Entry(version: current[id] ?? 0, user: user, storedAt: now)
            }
        }
        return loaded
    }

    private func loadFlags(_ lookup: ViewerFlags.Lookup, viewer: UserID, load: Loaders) async throws -> Set<UserID> {
        if lookup.startsOver, let everyoneFollowed = load.everyoneFollowed,
            let everyone = try await everyoneFollowed(viewer, follows.maxPerViewer)
        {
            follows.remember(lookup, all: everyone)
            return everyone.intersection(lookup.unknown)
        }
        let loaded = try await load.followed(viewer, lookup.unknown)
        follows.remember(lookup, holding: loaded)
        return loaded
    }
}
