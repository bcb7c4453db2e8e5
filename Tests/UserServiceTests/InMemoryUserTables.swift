import DouyinHTTP
import DouyinModels
import NIOConcurrencyHelpers
@testable import UserService

/// The profile and follow tables in memory, keeping the promises of `ProfileStoring`
/// and `RelationStoring` (a repeated follow changes nothing, counts move with rows).
final class InMemoryUserTables: ProfileStoring, RelationStoring {
    private struct Tables {
        var profiles: [UserID: ProfileStore.Profile] = [:]
        /// (follower, followee) -> position, increasing with every new follow.
        var follows: [Pair: Int64] = [:]
        var lastPosition: Int64 = 0
        var listReads = 0
    }

    private struct Pair: Hashable {
        let follower: UserID
        let followee: UserID
    }

    private let tables = NIOLockedValueBox(Tables())

    /// How many list queries ran (following, followers, friends): what a cache saves.
    var listReads: Int { tables.withLockedValue { $0.listReads } }

    func create(id: UserID, name: String) async throws {
        tables.withLockedValue { tables in
            guard tables.profiles[id] == nil else { return }
            tables.profiles[id] = ProfileStore.Profile(
                id: id, name: name, avatar: "", backgroundImage: "", signature: "", followCount: 0, followerCount: 0
            )
        }
    }

    func delete(id: UserID) async throws {
        tables.withLockedValue { $0.profiles[id] = nil }
    }

    func existing(_ ids: [UserID]) async throws -> Set<UserID> {
        tables.withLockedValue { tables in Set(ids.filter { tables.profiles[$0] != nil }) }
    }

    func profiles(_ ids: [UserID]) async throws -> [UserID: ProfileStore.Profile] {
        tables.withLockedValue { tables in tables.profiles.filter { ids.contains($0.key) } }
    }

    /// Substring matches only (no trigram similarity in memory), most followed first.
    func search(_ query: SearchQuery) async throws -> [UserID] {
        tables.withLockedValue { tables in
            Array(tables.profiles.values.filter { $0.name.lowercased().contains(query.keyword.lowercased()) }
                .sorted { ($0.followerCount, -$0.id) > ($1.followerCount, -$1.id) }.dropFirst(query.offset).prefix(query.fetchLimit).map(\.id))
        }
    }

    func follow(_ follower: UserID, _ followee: UserID) async throws {
        tables.withLockedValue { tables in
            let pair = Pair(follower: follower, followee: followee)
            guard tables.follows[pair] == nil else { return }
            tables.lastPosition += 1
            tables.follows[pair] = tables.lastPosition
            tables.profiles[follower]?.followCount += 1
            tables.profiles[followee]?.followerCount += 1
        }
    }

    func unfollow(_ follower: UserID, _ followee: UserID) async throws {
        tables.withLockedValue { tables in
            guard tables.follows.removeValue(forKey: Pair(follower: follower, followee: followee)) != nil else { return }
            tables.profiles[follower]?.followCount -= 1
            tables.profiles[followee]?.followerCount -= 1
        }
    }

    func following(_ user: UserID, before: Int64?, limit: Int) async throws -> [RelationEntry] {
        list(before: before, limit: limit) { tables in
            tables.follows.compactMap { $0.key.follower == user ? ($0.key.followee, $0.value) : nil }
        }
    }

    func followers(_ user: UserID, before: Int64?, limit: Int) async throws -> [RelationEntry] {
        list(before: before, limit: limit) { tables in
            tables.follows.compactMap { $0.key.followee == user ? ($0.key.follower, $0.value) : nil }
        }
    }

    func friends(_ user: UserID, before: Int64?, limit: Int) async throws -> [RelationEntry] {
        list(before: before, limit: limit) { tables in
            tables.follows.compactMap { pair, mine -> RelationEntry? in
                guard pair.follower == user, let theirs = tables.follows[Pair(follower: pair.followee, followee: user)] else { return nil }
                return (pair.followee, max(mine, theirs))
            }
        }
    }

    func followed(by follower: UserID, among ids: [UserID]) async throws -> Set<UserID> {
        tables.withLockedValue { tables in Set(ids.filter { tables.follows[Pair(follower: follower, followee: $0)] != nil }) }
    }

    func followees(of follower: UserID, upTo limit: Int) async throws -> Set<UserID>? {
        tables.withLockedValue { tables in
            let all = Set(tables.follows.keys.filter { $0.follower == follower }.map(\.followee))
            return all.count <= limit ? all : nil
        }
    }

    private func list(before: Int64?, limit: Int, _ rows: (Tables) -> [RelationEntry]) -> [RelationEntry] {
        tables.withLockedValue { tables in
            tables.listReads += 1
            return Array(rows(tables).filter { $0.position < (before ?? .max) }.sorted { $0.position > $1.position }.prefix(limit))
        }
    }
}
