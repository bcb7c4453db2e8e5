import CFFmpeg

/// What a video file holds.
public struct MediaInfo: Sendable, Equatable {
    /// FFmpeg's demuxer name, e.g. `mov,mp4,m4a,3gp,3g2,mj2`.
    public var container: String
    public var durationSeconds: Double
    public var width: Int
    public var height: Int
    /// Decoder name, e.g. `h264`.
    public var codec: String
}

/// Probes uploads with libavformat and makes their covers with libavcodec and libswscale.
///
/// Blocking and CPU-heavy: callers run it on a thread pool, never on an event loop.
public enum MediaInspector {
    /// Accepts only files FFmpeg reads as a container with a video stream, a
    /// positive duration and a first frame that decodes (API.md 6.5); returns
    /// the facts and a JPEG of that frame, scaled to fit `maxCoverSide`.
    public static func inspect(path: String, maxCoverSide: Int = 720) throws(MediaError) -> (info: MediaInfo, cover: [UInt8]) {
        FFmpegLog.quieted
        var context: UnsafeMutablePointer<AVFormatContext>?
        let opened = avformat_open_input(&context, path, nil, nil)
        defer { avformat_close_input(&context) }
        guard opened >= 0, let format = context else { throw .notMedia(errorText(opened)) }
        let probed = avformat_find_stream_info(format, nil)
        guard probed >= 0 else { throw .notMedia(errorText(probed)) }

        let demuxer = String(cString: format.pointee.iformat.pointee.name)
        // Single-picture demuxers report a one-frame "duration"; a still image is not a video.
        guard demuxer != "image2", !demuxer.hasSuffix("_pipe") else { throw .stillImage }
        guard let (streamIndex, stream) = videoStream(format) else { throw .noVideoStream }
        let duration = durationSeconds(format, stream)
        guard duration > 0 else { throw .noDuration }

        let frame = try FirstFrame(format: format, streamIndex: streamIndex, stream: stream)
        let info = MediaInfo(
            container: demuxer,
            durationSeconds: duration,
            width: Int(frame.frame.pointee.width),
            height: Int(frame.frame.pointee.height),
            codec: String(cString: avcodec_get_name(stream.pointee.codecpar.pointee.codec_id))
        )
        return (info, try JPEGEncoder.encode(frame.frame, maxSide: maxCoverSide))
    }

    static func videoStream(_ format: UnsafeMutablePointer<AVFormatContext>) -> (Int32, UnsafeMutablePointer<AVStream>)? {
        for index in 0..<Int(format.pointee.nb_streams) {
            guard let stream = format.pointee.streams[index] else { continue }
            let isVideo = stream.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO
            let isCoverArt = stream.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC != 0
            if isVideo && !isCoverArt { return (Int32(index), stream) }
        }
        return nil
    }

    static func durationSeconds(_ format: UnsafeMutablePointer<AVFormatContext>, _ stream: UnsafeMutablePointer<AVStream>) -> Double {
        let unset = douyin_av_nopts_value()
        if stream.pointee.duration != unset, stream.pointee.duration > 0 {
            let base = stream.pointee.time_base
            return Double(stream.pointee.duration) * Double(base.num) / Double(base.den)
        }
        if format.pointee.duration != unset, format.pointee.duration > 0 {
            return Double(format.pointee.duration) / Double(AV_TIME_BASE)
        }
        return 0
    }

    static func errorText(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 128)
        av_strerror(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Decodes packets of one stream until the first frame comes out.
final class FirstFrame {
    private var decoder: UnsafeMutablePointer<AVCodecContext>?
    private var decoded: UnsafeMutablePointer<AVFrame>?

    var frame: UnsafeMutablePointer<AVFrame> { decoded! }

    init(format: UnsafeMutablePointer<AVFormatContext>, streamIndex: Int32, stream: UnsafeMutablePointer<AVStream>) throws(MediaError) {
        guard let codec = avcodec_find_decoder(stream.pointee.codecpar.pointee.codec_id) else {
            throw .undecodable("no decoder for \(String(cString: avcodec_get_name(stream.pointee.codecpar.pointee.codec_id)))")
        }
        decoder = avcodec_alloc_context3(codec)
        decoded = av_frame_alloc()
        guard let decoder, decoded != nil else { throw .undecodable("out of memory") }
        guard avcodec_parameters_to_context(decoder, stream.pointee.codecpar) >= 0, avcodec_open2(decoder, codec, nil) >= 0 else {
            throw .undecodable("decoder would not open")
        }
        var packet = av_packet_alloc()
        defer { av_packet_free(&packet) }
        guard let packet else { throw .undecodable("out of memory") }
        // Enough packets for any sane stream to yield a frame; a corrupt one gives up.
        for _ in 0..<2000 {
            let read = av_read_frame(format, packet)
            if read < 0 {
                avcodec_send_packet(decoder, nil)  // end of input: drain what the decoder holds
                if avcodec_receive_frame(decoder, decoded) >= 0 { return }
                throw .undecodable(MediaInspector.errorText(read))
            }
            defer { av_packet_unref(packet) }
            guard packet.pointee.stream_index == streamIndex else { continue }
            guard avcodec_send_packet(decoder, packet) >= 0 else { continue }
            let received = avcodec_receive_frame(decoder, decoded)
            if received >= 0 { return }
            if received != douyin_averror_eagain() { throw .undecodable(MediaInspector.errorText(received)) }
        }
        throw .undecodable("no frame in the first packets")
    }

    deinit {
        av_frame_free(&decoded)
        avcodec_free_context(&decoder)
    }
}

/// Scales a frame to fit a box and encodes it as a baseline JPEG.
enum JPEGEncoder {
    static func encode(_ source: UnsafeMutablePointer<AVFrame>, maxSide: Int) throws(MediaError) -> [UInt8] {
        let (width, height) = FrameScaler.fitted(width: Int(source.pointee.width), height: Int(source.pointee.height), maxSide: maxSide)
        guard width > 0, height > 0 else { throw .coverFailed("frame has no size") }
        let pixelFormat = AV_PIX_FMT_YUVJ420P
        let scaled: UnsafeMutablePointer<AVFrame>
        let scaler: FrameScaler
        do {
            scaler = try FrameScaler(width: width, height: height, pixelFormat: pixelFormat)
            scaled = try scaler.scale(source)
        } catch {
            throw .coverFailed("\(error)")
        }

        guard let codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG) else { throw .coverFailed("no JPEG encoder") }
        var encoder = avcodec_alloc_context3(codec)
        defer { avcodec_free_context(&encoder) }
        guard let encoder else { throw .coverFailed("out of memory") }
        encoder.pointee.width = Int32(width)
        encoder.pointee.height = Int32(height)
        encoder.pointee.pix_fmt = pixelFormat
        encoder.pointee.time_base = AVRational(num: 1, den: 25)
        guard avcodec_open2(encoder, codec, nil) >= 0 else { throw .coverFailed("JPEG encoder would not open") }

        var packet = av_packet_alloc()
        defer { av_packet_free(&packet) }
        guard let packet, avcodec_send_frame(encoder, scaled) >= 0, avcodec_receive_packet(encoder, packet) >= 0 else {
            throw .coverFailed("JPEG encoding failed")
        }
        return withExtendedLifetime(scaler) { Array(UnsafeBufferPointer(start: packet.pointee.data, count: Int(packet.pointee.size))) }
    }
}
