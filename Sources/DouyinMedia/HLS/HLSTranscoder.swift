import CFFmpeg

/// What a transcode left in its output folder.
public struct HLSOutput: Sendable, Equatable {
    /// The master playlist's file name; it names one media playlist per rendition.
    public var masterPlaylist: String
    public var renditions: [HLSRendition]
    /// The first frame as a JPEG for lists (`HLSTranscoder`'s `smallCoverSide`).
    public var smallCover: [UInt8]
    /// Whether the renditions carry the source's sound (copied when it is AAC or MP3, else made AAC).
    public var hasAudio: Bool
}

/// Makes HLS renditions of a video in-process: decodes it once with libavcodec, scales each
/// frame per rendition with libswscale, encodes H.264 with libx264 (keyframes every two
/// seconds, so segments are 2 to 4 s), carries the sound over (AAC and MP3 as they are, any
/// other through `AACTranscoder`), and lets libavformat's HLS muxer write the segments, the
/// media playlists and the master playlist.
///
/// Blocking and CPU-heavy for as long as the video plays or longer: callers run it on a
/// thread of their own, never on an event loop or the shared pool.
public enum HLSTranscoder {
    public static let masterPlaylist = "master.m3u8"
    public static let segmentSeconds = 2

    /// - Parameters:
    ///   - input: a video file MediaInspector accepted.
    ///   - directory: an existing, empty folder for the output.
    ///   - isCancelled: asked between packets; `true` stops the work with `MediaError.cancelled`.
    public static func transcode(
        input: String, into directory: String, smallCoverSide: Int = 240, isCancelled: () -> Bool = { false }
    ) throws(MediaError) -> HLSOutput {
        FFmpegLog.quieted
        let session = try TranscodeSession(input: input, directory: directory)
        var smallCover: [UInt8]?
        try session.run(isCancelled: isCancelled) { (frame) throws(MediaError) in
            if smallCover == nil { smallCover = try JPEGEncoder.encode(frame, maxSide: smallCoverSide) }
        }
        guard let smallCover else { throw .undecodable("no frame decoded") }
        return HLSOutput(
            masterPlaylist: masterPlaylist, renditions: session.renditions, smallCover: smallCover, hasAudio: session.sound != nil
        )
    }
}

/// The libav objects of one transcode, freed together.
final class TranscodeSession {
    /// The source's sound and how it reaches the renditions.
    enum Sound {
        case copied(UnsafeMutablePointer<AVStream>)
        case encoded(UnsafeMutablePointer<AVStream>, AACTranscoder)

        var stream: UnsafeMutablePointer<AVStream> {
            switch self {
            case .copied(let stream), .encoded(let stream, _): stream
            }
        }
    }

    let renditions: [HLSRendition]
    let sound: Sound?
    private var input: UnsafeMutablePointer<AVFormatContext>?
    private var output: UnsafeMutablePointer<AVFormatContext>?
    private var decoder: UnsafeMutablePointer<AVCodecContext>?
    private var encoders: [UnsafeMutablePointer<AVCodecContext>?] = []
    private var scalers: [FrameScaler] = []
    private let videoInput: Int32
    /// Output stream indexes per rendition.
    private var videoOutputs: [Int32] = []
    private var audioOutputs: [Int32] = []
    private var packet = av_packet_alloc()
    private var encoded = av_packet_alloc()
    private var frame = av_frame_alloc()
    private var lastPTS = Int64.min

    init(input path: String, directory: String) throws(MediaError) {
        let opened = avformat_open_input(&input, path, nil, nil)
        guard opened >= 0, let input else { throw .notMedia(MediaInspector.errorText(opened)) }
        guard avformat_find_stream_info(input, nil) >= 0 else { throw .notMedia("no stream information") }
        guard let (videoIndex, videoStream) = MediaInspector.videoStream(input) else { throw .noVideoStream }
        videoInput = videoIndex
        let created = avformat_alloc_output_context2(&output, nil, "hls", "\(directory)/r%v.m3u8")
        guard created >= 0, let output else { throw .transcodeFailed("no HLS muxer: \(MediaInspector.errorText(created))") }
        let globalHeader = output.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0
        sound = Self.sound(of: input, besides: videoIndex, globalHeader: globalHeader)
        guard packet != nil, encoded != nil, frame != nil else { throw .transcodeFailed("out of memory") }

        guard let codec = avcodec_find_decoder(videoStream.pointee.codecpar.pointee.codec_id) else {
            throw .undecodable("no decoder for \(String(cString: avcodec_get_name(videoStream.pointee.codecpar.pointee.codec_id)))")
        }
        decoder = avcodec_alloc_context3(codec)
        guard let decoder, avcodec_parameters_to_context(decoder, videoStream.pointee.codecpar) >= 0 else {
            throw .undecodable("decoder would not open")
        }
        decoder.pointee.thread_count = 1  // one core per job; the API keeps the others
        guard avcodec_open2(decoder, codec, nil) >= 0 else { throw .undecodable("decoder would not open") }
        renditions = HLSLadder.renditions(sourceWidth: Int(decoder.pointee.width), sourceHeight: Int(decoder.pointee.height))
        guard !renditions.isEmpty else { throw .undecodable("the video stream has no size") }

        var frameRate = av_guess_frame_rate(input, videoStream, nil)
        if frameRate.num <= 0 || frameRate.den <= 0 { frameRate = AVRational(num: 25, den: 1) }
        for rendition in renditions {
            let encoder = try Self.openEncoder(
                rendition, timeBase: videoStream.pointee.time_base, frameRate: frameRate, globalHeader: globalHeader
            )
            encoders.append(encoder)
            scalers.append(try FrameScaler(width: rendition.width, height: rendition.height, pixelFormat: AV_PIX_FMT_YUV420P))
            guard let stream = avformat_new_stream(output, nil), avcodec_parameters_from_context(stream.pointee.codecpar, encoder) >= 0 else {
                throw .transcodeFailed("out of memory")
            }
            stream.pointee.time_base = encoder.pointee.time_base
            stream.pointee.codecpar.pointee.bit_rate = Int64(rendition.maxBitRate)  // the master playlist's BANDWIDTH
            videoOutputs.append(stream.pointee.index)
            if let sound {
                guard let stream = avformat_new_stream(output, nil) else { throw .transcodeFailed("out of memory") }
                switch sound {
                case .copied(let source):
                    guard avcodec_parameters_copy(stream.pointee.codecpar, source.pointee.codecpar) >= 0 else { throw .transcodeFailed("out of memory") }
                    stream.pointee.codecpar.pointee.codec_tag = 0
                    stream.pointee.time_base = source.pointee.time_base
                case .encoded(_, let encoder):
                    try encoder.describe(stream.pointee.codecpar)
                    stream.pointee.time_base = encoder.timeBase
                }
                if stream.pointee.codecpar.pointee.bit_rate <= 0 { stream.pointee.codecpar.pointee.bit_rate = 128_000 }
                audioOutputs.append(stream.pointee.index)
            }
        }

        var options: OpaquePointer?
        defer { av_dict_free(&options) }
        let variants = renditions.indices.map { sound == nil ? "v:\($0)" : "v:\($0),a:\($0)" }
        for (key, value) in [
            ("hls_time", "\(HLSTranscoder.segmentSeconds)"), ("hls_playlist_type", "vod"), ("hls_flags", "independent_segments"),
            ("hls_segment_filename", "\(directory)/r%v-%03d.ts"), ("master_pl_name", HLSTranscoder.masterPlaylist),
            ("var_stream_map", variants.joined(separator: " ")),
        ] {
            av_dict_set(&options, key, value, 0)
        }
        let written = avformat_write_header(output, &options)
        guard written >= 0 else { throw .transcodeFailed("HLS muxer would not start: \(MediaInspector.errorText(written))") }
    }

    /// The best sound stream, if any: copied when HLS carries it as it is, else made AAC
    /// (a sound that will not decode leaves the renditions silent rather than failing them).
    private static func sound(
        of input: UnsafeMutablePointer<AVFormatContext>, besides video: Int32, globalHeader: Bool
    ) -> Sound? {
        let index = av_find_best_stream(input, AVMEDIA_TYPE_AUDIO, -1, video, nil, 0)
        guard index >= 0, let stream = input.pointee.streams[Int(index)] else { return nil }
        if [AV_CODEC_ID_AAC, AV_CODEC_ID_MP3].contains(stream.pointee.codecpar.pointee.codec_id) { return .copied(stream) }
        return (try? AACTranscoder(stream: stream, globalHeader: globalHeader)).map { .encoded(stream, $0) }
    }

    private static func openEncoder(
        _ rendition: HLSRendition, timeBase: AVRational, frameRate: AVRational, globalHeader: Bool
    ) throws(MediaError) -> UnsafeMutablePointer<AVCodecContext> {
        guard let codec = avcodec_find_encoder_by_name("libx264") else { throw .transcodeFailed("no libx264 encoder") }
        guard let encoder = avcodec_alloc_context3(codec) else { throw .transcodeFailed("out of memory") }
        encoder.pointee.width = Int32(rendition.width)
        encoder.pointee.height = Int32(rendition.height)
        encoder.pointee.pix_fmt = AV_PIX_FMT_YUV420P
        encoder.pointee.sample_aspect_ratio = AVRational(num: 1, den: 1)
        encoder.pointee.time_base = timeBase
        encoder.pointee.framerate = frameRate
        // A keyframe at least every two seconds: the muxer cuts segments only at keyframes.
        encoder.pointee.gop_size = Int32((Double(frameRate.num) / Double(frameRate.den) * Double(HLSTranscoder.segmentSeconds)).rounded(.up))
        encoder.pointee.rc_max_rate = Int64(rendition.maxBitRate)
        encoder.pointee.rc_buffer_size = Int32(rendition.maxBitRate * 2)
        encoder.pointee.thread_count = 1
        if globalHeader { encoder.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        av_opt_set(encoder.pointee.priv_data, "preset", "veryfast", 0)
        av_opt_set(encoder.pointee.priv_data, "crf", "23", 0)
        let opened = avcodec_open2(encoder, codec, nil)
        guard opened >= 0 else {
            var unopened: UnsafeMutablePointer<AVCodecContext>? = encoder
            avcodec_free_context(&unopened)
            throw .transcodeFailed("H.264 encoder would not open: \(MediaInspector.errorText(opened))")
        }
        return encoder
    }

    deinit {
        for index in encoders.indices { avcodec_free_context(&encoders[index]) }
        avcodec_free_context(&decoder)
        av_packet_free(&packet)
        av_packet_free(&encoded)
        av_frame_free(&frame)
        avformat_free_context(output)
        avformat_close_input(&input)
    }

    /// Reads the whole input; `decoded` sees every decoded source frame first.
    func run(
        isCancelled: () -> Bool, decoded: (UnsafeMutablePointer<AVFrame>) throws(MediaError) -> Void
    ) throws(MediaError) {
        guard let input, let output, let decoder, let packet else { throw .transcodeFailed("not started") }
        while true {
            guard !isCancelled() else { throw .cancelled }
            let read = av_read_frame(input, packet)
            if read == douyin_averror_eof() { break }
            guard read >= 0 else { throw .undecodable(MediaInspector.errorText(read)) }
            defer { av_packet_unref(packet) }
            if packet.pointee.stream_index == videoInput {
                // A corrupt packet is skipped, as players do; the decoder resynchronises.
                guard avcodec_send_packet(decoder, packet) >= 0 else { continue }
                try receiveFrames(decoded)
            } else if let sound, packet.pointee.stream_index == sound.stream.pointee.index {
                switch sound {
                case .copied(let source): try writeAudio(packet, from: source.pointee.time_base)
                case .encoded(_, let encoder): try encoder.transcode(packet) { (aac) throws(MediaError) in try writeAudio(aac, from: encoder.timeBase) }
                }
            }
        }
        avcodec_send_packet(decoder, nil)
        try receiveFrames(decoded)
        if case .encoded(_, let encoder) = sound {
            try encoder.transcode(nil) { (aac) throws(MediaError) in try writeAudio(aac, from: encoder.timeBase) }
        }
        for index in encoders.indices {
            avcodec_send_frame(encoders[index], nil)
            try writeEncoded(index)
        }
        let finished = av_write_trailer(output)
        guard finished >= 0 else { throw .transcodeFailed("HLS muxer would not finish: \(MediaInspector.errorText(finished))") }
    }

    private func receiveFrames(_ decoded: (UnsafeMutablePointer<AVFrame>) throws(MediaError) -> Void) throws(MediaError) {
        guard let decoder, let frame else { return }
        while avcodec_receive_frame(decoder, frame) >= 0 {
            defer { av_frame_unref(frame) }
            try decoded(frame)
            // Strictly increasing times, as the encoder requires, whatever the source's timestamps.
            var pts = frame.pointee.best_effort_timestamp
            if pts == douyin_av_nopts_value() || pts <= lastPTS { pts = lastPTS == .min ? 0 : lastPTS + 1 }
            lastPTS = pts
            for index in encoders.indices {
                let scaled = try scalers[index].scale(frame)
                scaled.pointee.pts = pts
                scaled.pointee.pict_type = AV_PICTURE_TYPE_NONE
                guard avcodec_send_frame(encoders[index], scaled) >= 0 else { throw .transcodeFailed("the H.264 encoder refused a frame") }
                try writeEncoded(index)
            }
        }
    }

    private func writeEncoded(_ index: Int) throws(MediaError) {
        guard let output, let encoder = encoders[index], let encoded else { return }
        let stream = output.pointee.streams[Int(videoOutputs[index])]!
        while true {
            let received = avcodec_receive_packet(encoder, encoded)
            if received == douyin_averror_eagain() || received == douyin_averror_eof() { return }
            guard received >= 0 else { throw .transcodeFailed("H.264 encoding failed: \(MediaInspector.errorText(received))") }
            encoded.pointee.stream_index = videoOutputs[index]
            av_packet_rescale_ts(encoded, encoder.pointee.time_base, stream.pointee.time_base)
            let written = av_interleaved_write_frame(output, encoded)
            guard written >= 0 else { throw .transcodeFailed("writing a segment failed: \(MediaInspector.errorText(written))") }
        }
    }

    /// One sound packet into every rendition.
    private func writeAudio(_ packet: UnsafeMutablePointer<AVPacket>, from timeBase: AVRational) throws(MediaError) {
        guard let output else { return }
        for target in audioOutputs {
            var copy = av_packet_clone(packet)
            defer { av_packet_free(&copy) }
            guard let copy else { throw .transcodeFailed("out of memory") }
            copy.pointee.stream_index = target
            copy.pointee.pos = -1
            av_packet_rescale_ts(copy, timeBase, output.pointee.streams[Int(target)]!.pointee.time_base)
            let written = av_interleaved_write_frame(output, copy)
            guard written >= 0 else { throw .transcodeFailed("writing a segment failed: \(MediaInspector.errorText(written))") }
        }
    }
}
