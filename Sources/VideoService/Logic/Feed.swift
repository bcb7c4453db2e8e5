import DouyinClients
import DouyinHTTP
import DouyinModels
import Hummingbird

/// The feed (API.md 6.1): the newest videos published before a time, 30 at a time.
///
/// The newest page is the same for everyone, so it is served from memory while the
/// feed's version holds: whole and encoded to clients without a token
/// (`FeedHeadCache`), per viewer and encoded to a viewer asking again at the same
/// versions (`ViewerFeedPages`), else as rows assembled for the viewer. Older pages
/// are queried.
struct Feed: Sendable {
    let store: any VideoStoring
    let assembler: VideoAssembler
    let head: FeedHeadCache
    let viewerPages: ViewerFeedPages
    let versions: ContentVersions
    static let pageSize = 30

    /// A feed answer: encoded once and shared (with the versions it holds for), or made for this request.
    enum Answer: ResponseGenerator, Sendable {
        case encoded(ValidatedAnswer)
        case page(FeedResponse)

        func response(from request: Request, context: some RequestContext) throws -> Response {
            switch self {
            case .encoded(let encoded): try encoded.response(from: request, context: context)
            case .page(let page): try APIResponse(page).response(from: request, context: context)
            }
        }
    }

    /// - Parameters:
    ///   - latest: `latest_time` as given (nil, 0, seconds or milliseconds).
    ///   - now: the server's time in ms.
    ///   - mediaBase: where play and cover URLs point.
    func answer(viewer: UserID?, latest: Int64?, now: Int64, mediaBase: String) async throws -> Answer {
        let bound = Self.bound(latest, now: now)
        let isHeadRequest = latest == nil || latest == 0
        let loadHead: FeedHeadCache.Load = { [store] in try await store.feed(before: .max, limit: Self.pageSize) }
        if viewer == nil, let cached = try await head.page(
            bound: bound, isHeadRequest: isHeadRequest, mediaBase: mediaBase, load: loadHead,
            assemble: { [assembler] rows in try await assembler.videos(rows, viewer: nil, mediaBase: mediaBase) }
        ) {
            // An empty feed's next_time is the request's own bound, so only a full page is reused as is.
            guard cached.oldest != nil else { return .page(FeedResponse(nextTime: bound, videoList: [])) }
            return .encoded(ValidatedAnswer(cached.response, validity: ContentVersions.validity(feed: cached.version, maxAge: head.maxAge)))
        }
        if let viewer, isHeadRequest {
            let current = try? await versions.feedAndUsers([viewer])
            let page = try await viewerPages.page(
                viewer: viewer, mediaBase: mediaBase, feedVersion: current?.feed, viewerVersion: current?.users[viewer]
            ) { () async throws -> EncodedAPIResponse? in
                guard let rows = try await head.rows(bound: bound, isHeadRequest: true, version: current?.feed, load: loadHead),
                    let oldest = rows.last?.publishedAt
                else { return nil }
                let videos = try await assembler.videos(rows, viewer: viewer, mediaBase: mediaBase)
                return EncodedAPIResponse(FeedResponse(nextTime: oldest, videoList: videos))
            }
            if let page {
                let validity = current.flatMap { current in
                    current.users[viewer].map { ContentVersions.validity(feed: current.feed, users: [viewer: $0], maxAge: viewerPages.maxAge) }
                }
                return .encoded(ValidatedAnswer(page, validity: validity))
            }
        }
        let rows: [VideoStore.Row]
        if viewer != nil, let cached = try await head.rows(bound: bound, isHeadRequest: isHeadRequest, load: loadHead) {
            rows = cached
        } else {
            rows = try await store.feed(before: bound, limit: Self.pageSize)
        }
        let videos = try await assembler.videos(rows, viewer: viewer, mediaBase: mediaBase)
        return .page(FeedResponse(nextTime: rows.last?.publishedAt ?? bound, videoList: videos))
    }

    /// `latest_time`: absent or 0 = now; below 10^12 it is seconds (API.md 6.1).
    static func bound(_ latest: Int64?, now: Int64) -> Int64 {
        guard let latest, latest != 0 else { return now }
        return latest < 1_000_000_000_000 ? latest * 1000 : latest
    }
}
