import CFFmpeg

/// FFmpeg writes its own lines to stderr (libx264's banner for every encoder, a demuxer's
/// complaint about every bad upload), outside the services' JSON logs. Failures come back
/// as `MediaError`s with FFmpeg's reason, so only fatal messages are left to it.
enum FFmpegLog {
    static let quieted: Void = av_log_set_level(AV_LOG_FATAL)
}
