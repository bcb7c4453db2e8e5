/// File extensions and content types of stored media: one table for naming
/// objects at publish time and for serving them (API.md 7 wants `video/*`).
enum MediaTypes {
    /// The extension for a file FFmpeg read with `container` (its demuxer name).
    static func fileExtension(forContainer container: String) -> String {
        if container.contains("mp4") { return "mp4" }
        if container.contains("webm") || container.contains("matroska") { return "webm" }
        if container == "avi" { return "avi" }
        if container == "gif" { return "gif" }
        if container == "flv" { return "flv" }
        if container == "mpegts" { return "ts" }
        if container.hasPrefix("mpeg") { return "mpg" }
        if container == "ogg" { return "ogv" }
        return "bin"
    }

    /// The Content-Type of a stored object, from its key's extension.
    static func contentType(ofKey key: String) -> String {
        switch key.split(separator: ".").last ?? "" {
        case "jpg": "image/jpeg"
        case "m3u8": "application/vnd.apple.mpegurl"
        case "mp4": "video/mp4"
        case "webm": "video/webm"
        case "avi": "video/x-msvideo"
        case "gif": "video/gif"
        case "flv": "video/x-flv"
        case "ts": "video/mp2t"
        case "mpg": "video/mpeg"
        case "ogv": "video/ogg"
        default: "video/octet-stream"
        }
    }
}
