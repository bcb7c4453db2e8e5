import DouyinCore
import DouyinModels
import NIOConcurrencyHelpers

/// Assembled User objects per (user, viewer), kept in memory while the user's
/// `ContentVersions` counter is unchanged, with their `GET /douyin/user/`
/// answer once one was asked for (so a hit skips JSON encoding too).
///
/// Building one costs a profile query plus the video service's counters over
/// RPC; checking one costs a GET in a single Redis pipeline for the whole batch.
/// When Redis cannot be read, everything is loaded fresh. Entries also expire
/// after `maxAge`, which bounds staleness if a writer could not bump a version.
final class UserInfoCache: Sendable {
    private struct Key: Hashable {
        let user: UserID
        let viewer: UserID?
    }

    private struct Entry {
        let version: Int64
        let user: User
        let storedAt: ContinuousClock.Instant
        var answer: EncodedAPIResponse?
    }

    private let versions: ContentVersions
    private let maxAge: Duration
    private let maxEntries: Int
    private let entries = NIOLockedValueBox<[Key: Entry]>([:])

    init(versions: ContentVersions, maxAge: Duration = .seconds(5), maxEntries: Int = 50_000) {
        self.versions = versions
        self.maxAge = maxAge
        self.maxEntries = maxEntries
    }

    /// The users among `ids` that exist, from memory where current, the rest from `load`.
    func users(
        _ ids: [UserID], viewer: UserID?, load: ([UserID]) async throws -> [UserID: User]
    ) async throws -> [UserID: User] {
        guard let current = try? await versions.users(ids) else { return try await load(ids) }
        let now = ContinuousClock.now
        var found: [UserID: User] = [:]
        var missing: [UserID] = []
        entries.withLockedValue { entries in
            for id in ids {
                if let entry = entries[Key(user: id, viewer: viewer)], entry.version == current[id], entry.storedAt.duration(to: now) < maxAge {
                    found[id] = entry.user
                } else {
                    missing.append(id)
                }
            }
        }
        guard !missing.isEmpty else { return found }
        let loaded = try await load(missing)
        entries.withLockedValue { entries in
            // Crude but bounded: a full cache starts over rather than tracking recency.
            if entries.count + loaded.count > maxEntries { entries.removeAll(keepingCapacity: true) }
            for (id, user) in loaded {
                // Stored under the version read before loading: a write racing the load
                // has bumped past it, so the next read reloads.
                entries[Key(user: id, viewer: viewer)] = Entry(version: current[id] ?? 0, user: user, storedAt: now, answer: nil)
            }
        }
        return found.merging(loaded) { _, new in new }
    }

    /// The user-info answer for `id` as `viewer` sees it, encoded once per cached entry.
    func answer(
        _ id: UserID, viewer: UserID?, load: ([UserID]) async throws -> [UserID: User]
    ) async throws -> EncodedAPIResponse {
        guard let user = try await users([id], viewer: viewer, load: load)[id] else { throw DouyinError(.userNotFound) }
        let key = Key(user: id, viewer: viewer)
        // The entry may have been replaced since `users` read it: its answer counts only for the same User.
        if let answer = entries.withLockedValue({ entries in entries[key].flatMap { $0.user == user ? $0.answer : nil } }) {
            return answer
        }
        let answer = EncodedAPIResponse(UserResponse(user: user))
        entries.withLockedValue { entries in
            if entries[key]?.user == user { entries[key]?.answer = answer }
        }
        return answer
    }
}
