import DouyinRPC
import HTTPTypes
import Hummingbird

/// The start of `play_url` and `cover_url`: `DOUYIN_PUBLIC_BASE_URL`, else the
/// Host the client used, as the gateway passed it on (API.md 7).
struct MediaBase: Sendable {
    let publicBaseURL: String?

    func base(for request: Request) -> String {
        if let publicBaseURL { return publicBaseURL.hasSuffix("/") ? String(publicBaseURL.dropLast()) : publicBaseURL }
        let host = request.headers[.forwardedHost] ?? request.head.authority ?? "127.0.0.1:8080"
        return "http://\(host)"
    }
}
