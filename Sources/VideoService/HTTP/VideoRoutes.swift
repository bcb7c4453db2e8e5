import DouyinClients
import DouyinHTTP
import DouyinIdentity
import DouyinModels
import DouyinRPC
import Foundation
import HTTPTypes
import Hummingbird

/// `/douyin/feed/`, `/douyin/publish/action/` and `/douyin/publish/list/`.
struct VideoRoutes {
    let store: VideoStore
    let assembler: VideoAssembler
    let publishing: Publishing
    let receiver: UploadReceiver
    let users: KnownUsers
    let identity: IdentityResolver
    let media: MediaBase
    let feedHead: FeedHeadCache
    let viewerPages: ViewerFeedPages
    let versions: ContentVersions
    static let feedPageSize = 30

    func add(to router: Router<DouyinRequestContext>) {
        router.get("/douyin/feed/") { request, context -> Response in
            let viewer = try context.optionalUser()
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let latest = try context.params.optionalInt64("latest_time")
            let bound = Self.feedBound(latest, now: now)
            let mediaBase = media.base(for: request)
            // The newest page is the same for everyone, so it is served from memory
            // while current: whole to clients without a token, as rows to assemble for a viewer.
            let loadHead: FeedHeadCache.Load = { [store] in try await store.feed(before: .max, limit: Self.feedPageSize) }
            let isHeadRequest = latest == nil || latest == 0
            if viewer == nil, let head = try await feedHead.page(
                bound: bound, isHeadRequest: isHeadRequest, mediaBase: mediaBase, load: loadHead,
                assemble: { [assembler] rows in try await assembler.videos(rows, viewer: nil, mediaBase: mediaBase) }
            ) {
                // An empty feed's next_time is the request's own bound, so only a full page is reused as is.
                return try head.oldest == nil
                    ? APIResponse(FeedResponse(nextTime: bound, videoList: [])).response(from: request, context: context)
                    : head.response.response(from: request, context: context)
            }
            if let viewer, isHeadRequest {
                let current = try? await versions.feedAndUsers([viewer])
                let page = try await viewerPages.page(
                    viewer: viewer, mediaBase: mediaBase, feedVersion: current?.feed, viewerVersion: current?.users[viewer]
                ) { () async throws -> EncodedAPIResponse? in
                    guard let rows = try await feedHead.rows(bound: bound, isHeadRequest: true, version: current?.feed, load: loadHead),
                        let oldest = rows.last?.publishedAt
                    else { return nil }
                    let videos = try await assembler.videos(rows, viewer: viewer, mediaBase: mediaBase)
                    return EncodedAPIResponse(FeedResponse(nextTime: oldest, videoList: videos))
                }
                if let page { return try page.response(from: request, context: context) }
            }
            let rows: [VideoStore.Row]
            if viewer != nil, let cached = try await feedHead.rows(bound: bound, isHeadRequest: isHeadRequest, load: loadHead) {
                rows = cached
            } else {
                rows = try await store.feed(before: bound, limit: Self.feedPageSize)
            }
            let videos = try await assembler.videos(rows, viewer: viewer, mediaBase: mediaBase)
            return try APIResponse(FeedResponse(nextTime: rows.last?.publishedAt ?? bound, videoList: videos))
                .response(from: request, context: context)
        }
        router.get("/douyin/publish/list/") { request, context in
            let viewer = try context.requireUser()
            let author = try context.params.id("user_id")
            let page = try Page(context.params)
            guard try await users.exists(author) else { throw DouyinError(.userNotFound) }
            let rows = try await store.published(by: author, before: page.after ?? .max, limit: page.limit + 1)
            let (items, next) = page.finish(rows) { $0.publishedAt }
            let videos = try await assembler.videos(items, viewer: viewer, mediaBase: media.base(for: request))
            return APIResponse(VideoListResponse(videos, nextCursor: next))
        }
        router.post("/douyin/publish/action/") { request, context -> Response in
            // A token in the query or header is known now; one in the body only after reading it.
            if case .rejected(let error) = context.identity { throw error }
            guard let boundary = request.headers[.contentType].flatMap(MultipartForm.boundary(fromContentType:)) else {
                throw DouyinError(.invalidParameter, "the upload must be multipart/form-data")
            }
            let upload = try await receiver.receive(request.body, boundary: boundary, declaredLength: request.declaredContentLength)
            // Whatever happens, the temp file goes (a stored one was already moved away).
            defer { if let file = upload.file { try? FileManager.default.removeItem(atPath: file) } }
            // Query string over body, as everywhere (API.md 1.1).
            let params = RequestParameters(sources: [try FormURLEncoding.decode(Array((request.uri.query ?? "").utf8)), upload.fields])
            var context = context
            if context.identity == .anonymous {
                context.identity = await identity.resolve(headers: request.headers, tokenParameter: params["token"])
            }
            let author = try context.requireUser()
            let title = try params.string("title", codePoints: Publishing.titleLength)
            guard let file = upload.file else { throw DouyinError.missing("data") }
            guard upload.fileBytes > 0 else { throw DouyinError.invalid("data", "the file is empty") }
            try await publishing.publish(file: file, title: title, author: author)
            return .success
        }
    }

    /// `latest_time`: absent or 0 = now; below 10^12 it is seconds (API.md 6.1).
    static func feedBound(_ latest: Int64?, now: Int64) -> Int64 {
        guard let latest, latest != 0 else { return now }
        return latest < 1_000_000_000_000 ? latest * 1000 : latest
    }

}
