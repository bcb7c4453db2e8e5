/// Why a file is not accepted as a video.
public enum MediaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No FFmpeg demuxer recognises it (text, random bytes, empty or truncated files).
    case notMedia(String)
    /// A container without a video stream (audio only); attached cover pictures do not count.
    case noVideoStream
    /// No positive duration (a stream with no timing).
    case noDuration
    /// A single picture (PNG, JPEG, ...), whatever duration its demuxer reports.
    case stillImage
    /// The video stream has no frame that decodes.
    case undecodable(String)
    /// The cover could not be made (scaling or JPEG encoding failed).
    case coverFailed(String)
    /// Making the HLS renditions failed (encoder, muxer or file system).
    case transcodeFailed(String)
    /// The caller stopped a transcode before it finished.
    case cancelled

    public var description: String {
        switch self {
        case .notMedia(let detail): "not a media file (\(detail))"
        case .noVideoStream: "no video stream"
        case .noDuration: "no positive duration"
        case .stillImage: "a still image, not a video"
        case .undecodable(let detail): "no decodable video frame (\(detail))"
        case .coverFailed(let detail): "cover could not be made (\(detail))"
        case .transcodeFailed(let detail): "transcoding failed (\(detail))"
        case .cancelled: "transcoding stopped"
        }
    }
}
