import DouyinHTTP
import DouyinIdentity
import DouyinModels
import DouyinRPC
import Foundation
import HTTPTypes
import Hummingbird

/// `/douyin/feed/`, `/douyin/publish/{action,list,delete}/` and `/douyin/search/video/`.
struct VideoRoutes {
    /// The service's rules and stores (`context` is each request's own, in the handlers).
    let service: VideoContext
    let receiver: UploadReceiver
    let identity: IdentityResolver
    let media: MediaBase

    func add(to router: Router<DouyinRequestContext>) {
        router.get("/douyin/feed/") { request, context in
            try await service.feed.answer(
                viewer: try context.optionalUser(), latest: try context.params.optionalInt64("latest_time"),
                now: Int64(Date().timeIntervalSince1970 * 1000), mediaBase: media.base(for: request)
            )
        }
        router.get("/douyin/publish/list/") { request, context in
            let viewer = try context.requireUser()
            let author = try context.params.id("user_id")
            let page = try Page(context.params)
            guard try await service.knownUsers.exists(author) else { throw DouyinError(.userNotFound) }
            let rows = try await service.videos.published(by: author, before: page.after ?? .max, limit: page.limit + 1)
            let (items, next) = page.finish(rows) { $0.publishedAt }
            let videos = try await service.assembler.videos(items, viewer: viewer, mediaBase: media.base(for: request))
            return APIResponse(VideoListResponse(videos, nextCursor: next))
        }
        router.post("/douyin/publish/delete/") { _, context -> Response in
            let requester = try context.requireUser()
            try await service.publishing.delete(try context.params.id("video_id"), requester: requester)
            return .success
        }
        router.get("/douyin/search/video/") { request, context in
            let viewer = try context.optionalUser()
            let query = try SearchQuery(context.params)
            let (rows, next) = query.finish(try await service.videos.search(query))
            let videos = try await service.assembler.videos(rows, viewer: viewer, mediaBase: media.base(for: request))
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
            try await service.publishing.publish(file: file, title: title, author: author)
            return .success
        }
    }
}
