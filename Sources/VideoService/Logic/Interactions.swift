import DouyinCaching
import DouyinClients
import DouyinHTTP
import DouyinModels
import Foundation

/// Likes and comments (API.md 6.7 to 6.10).
struct Interactions: Sendable {
    let videos: any VideoStoring
    let favorites: any FavoriteStoring
    let comments: any CommentStoring
    let assembler: VideoAssembler
    let users: RemoteUsers
    let knownUsers: KnownUsers
    /// Likes and comments change counts that feeds and profiles show.
    let versions: ContentVersions
    /// Pages of comments, while their video's version holds (comments bump it).
    let commentPages: VersionedCache<CommentPageKey, [CommentStore.Row]>

    struct CommentPageKey: Hashable, Sendable {
        let video: Int64
        let after: Int64?
        let limit: Int
    }

    static let commentLength = 1...500

    func setFavorite(_ liked: Bool, user: UserID, video: Int64) async throws {
        guard let author = try await favorites.set(liked: liked, user: user, video: video) else { throw DouyinError(.videoNotFound) }
        await versions.changed(users: [user, author])
    }

    func favoriteList(of user: UserID, viewer: UserID, page: Page, mediaBase: String) async throws -> VideoListResponse {
        guard try await knownUsers.exists(user) else { throw DouyinError(.userNotFound) }
        let (items, next) = page.finish(try await favorites.liked(by: user, before: page.after, limit: page.limit + 1)) { $0.position }
        return VideoListResponse(try await assembler.videos(items.map(\.video), viewer: viewer, mediaBase: mediaBase), nextCursor: next)
    }

    func addComment(video: Int64, user: UserID, content: String) async throws -> Comment {
        guard let row = try await comments.add(video: video, user: user, content: content) else { throw DouyinError(.videoNotFound) }
        await versions.changed(videos: [video])
        return try await assemble(row, viewer: user)
    }

    func deleteComment(_ id: Int64, video: Int64, requester: UserID) async throws -> Comment {
        guard try await videos.author(of: video) != nil else { throw DouyinError(.videoNotFound) }
        switch try await comments.delete(id, video: video, requester: requester) {
        case .deleted(let row):
            await versions.changed(videos: [video])
            return try await assemble(row, viewer: requester)
        case .notFound: throw DouyinError(.commentNotFound)
        case .forbidden: throw DouyinError(.forbidden, "only the comment's author or the video's author may delete it")
        }
    }

    /// A page of a video's comments, with the versions it holds for (`AnswerValidity`):
    /// the video's (its comments), each writer's on the page and the viewer's.
    func commentList(video: Int64, viewer: UserID, page: Page) async throws -> APIResponse<CommentListResponse> {
        let version = try? await versions.video(video)
        let key = CommentPageKey(video: video, after: page.after, limit: page.limit + 1)
        guard let found = try await commentPages.value(for: key, version: version, load: {
            try await comments.list(video: video, before: page.after, limit: page.limit + 1)
        }) else {
            throw DouyinError(.videoNotFound)
        }
        let (rows, next) = page.finish(found) { $0.id }
        guard !rows.isEmpty else { return APIResponse(CommentListResponse([], nextCursor: next)) }
        let (writers, userVersions) = try await users.usersAndVersions(rows.map(\.userID), viewer: viewer)
        let listed = Self.comments(rows, writers: writers)
        let validity = version.flatMap { version in
            userVersions.map { ContentVersions.validity(users: $0, videos: [video: version], maxAge: min(commentPages.maxAge, users.maxAge)) }
        }
        return APIResponse(CommentListResponse(listed, nextCursor: next), validity: validity)
    }

    /// A comment with its writer as the viewer sees them.
    private func assemble(_ row: CommentStore.Row, viewer: UserID) async throws -> Comment {
        let writers = try await users.users([row.userID], viewer: viewer)
        guard let comment = Self.comments([row], writers: writers).first else { throw DouyinError(.badUpstreamAnswer) }
        return comment
    }

    private static func comments(_ rows: [CommentStore.Row], writers: [UserID: User]) -> [Comment] {
        rows.compactMap { row in
            writers[row.userID].map { Comment(id: row.id, user: $0, content: row.content, createDate: createDate(row.createdAt)) }
        }
    }

    /// `MM-DD` in China Standard Time, UTC+08:00 (API.md 4), which has no daylight saving:
    /// the civil date of the shifted day number, computed rather than through `Calendar`,
    /// which cost more than the rest of a comment page.
    static func createDate(_ milliseconds: Int64) -> String {
        let days = (milliseconds + 8 * 3_600_000).floorDivided(by: 86_400_000)
        let (_, month, day) = civilDate(daysSinceEpoch: days)
        return String(unsafeUninitializedCapacity: 5) { buffer in
            buffer[0] = UInt8(ascii: "0") + UInt8(month / 10)
            buffer[1] = UInt8(ascii: "0") + UInt8(month % 10)
            buffer[2] = UInt8(ascii: "-")
            buffer[3] = UInt8(ascii: "0") + UInt8(day / 10)
            buffer[4] = UInt8(ascii: "0") + UInt8(day % 10)
            return 5
        }
    }

    /// The proleptic Gregorian date of a day number (0 = 1970-01-01), after Howard Hinnant's `civil_from_days`.
    static func civilDate(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = shifted.floorDivided(by: 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int64 {
    /// Division rounding towards negative infinity (times before 1970 included).
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? quotient - 1 : quotient
    }
}
