import DouyinHTTP
import DouyinModels
import DouyinRPC
import HTTPTypes
import Hummingbird

/// `GET /media/<key>`: stored videos and covers, streamed, with single byte ranges (API.md 7).
struct MediaRoutes {
    let storage: any MediaStorage

    func add(to router: Router<DouyinRequestContext>) {
        router.get("/media/**") { request, context -> Response in
            let key = context.parameters.getCatchAll().joined(separator: "/")
            guard StorageKey.isValid(key), let size = try await storage.size(of: key) else {
                throw DouyinError(.videoNotFound, "no such media file")
            }
            var headers = HTTPFields()
            headers[.contentType] = MediaTypes.contentType(ofKey: key)
            headers[.acceptRanges] = "bytes"
            switch ByteRange.parse(request.headers[.range], size: size) {
            case .unsatisfiable:
                var response = Response.error(DouyinError(.invalidParameter, "range not satisfiable"))
                response.status = .rangeNotSatisfiable
                response.headers[.contentRange] = "bytes */\(size)"
                response.headers[.acceptRanges] = "bytes"
                return response
            case .whole:
                headers[.contentLength] = String(size)
                guard size > 0 else { return Response(status: .ok, headers: headers) }
                return Response(status: .ok, headers: headers, body: try await storage.read(key, range: 0...(size - 1), context: context))
            case .part(let range):
                headers[.contentLength] = String(range.count)
                headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
                return Response(status: .partialContent, headers: headers, body: try await storage.read(key, range: range, context: context))
            }
        }
    }
}
