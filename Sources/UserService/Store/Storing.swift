import DouyinHTTP
import DouyinModels

/// A user id and the position of the relation that put it in a list (the list's cursor).
public typealias RelationEntry = (id: UserID, position: Int64)

/// What the user service's rules need from the profile table (`ProfileStore`).
public protocol ProfileStoring: Sendable {
    /// Creates a profile; a second call for the same id changes nothing.
    func create(id: UserID, name: String) async throws
    func delete(id: UserID) async throws
    /// Which of `ids` have a profile.
    func existing(_ ids: [UserID]) async throws -> Set<UserID>
    func profiles(_ ids: [UserID]) async throws -> [UserID: ProfileStore.Profile]
    /// Users matching a search, best first (`ProfileStore.search`).
    func search(_ query: SearchQuery) async throws -> [UserID]
}

/// What the user service's rules need from the follow table (`RelationStore`).
///
/// A follow that exists already, or an unfollow of nothing, changes nothing (counts
/// included). Lists are newest first; `before` is the position the previous page ended at.
public protocol RelationStoring: Sendable {
    func follow(_ follower: UserID, _ followee: UserID) async throws
    func unfollow(_ follower: UserID, _ followee: UserID) async throws
    func following(_ user: UserID, before: Int64?, limit: Int) async throws -> [RelationEntry]
    func followers(_ user: UserID, before: Int64?, limit: Int) async throws -> [RelationEntry]
    /// Users who follow `user` and whom `user` follows.
    func friends(_ user: UserID, before: Int64?, limit: Int) async throws -> [RelationEntry]
    func followed(by follower: UserID, among ids: [UserID]) async throws -> Set<UserID>
    /// Everyone `follower` follows, if that is at most `limit` users; nil when more.
    func followees(of follower: UserID, upTo limit: Int) async throws -> Set<UserID>?
}

extension ProfileStore: ProfileStoring {}
extension RelationStore: RelationStoring {}
