import CFFmpeg

/// Sound that HLS cannot carry as it came (FLAC, Opus, PCM, AC-3, ...) made AAC: decoded,
/// resampled to the encoder's format with libswresample, cut into the encoder's frame size
/// through an audio FIFO, and encoded with FFmpeg's own AAC encoder at 128 kbit/s.
final class AACTranscoder {
    /// The rates FFmpeg's AAC encoder takes; any other is resampled to 48 kHz.
    private static let rates: Set<Int32> = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350]
    private let sourceTimeBase: AVRational
    private var decoder: UnsafeMutablePointer<AVCodecContext>?
    private var encoder: UnsafeMutablePointer<AVCodecContext>?
    private var resampler = swr_alloc()
    private var fifo: OpaquePointer?
    private var decoded = av_frame_alloc()
    private var resampled = av_frame_alloc()
    private var chunk = av_frame_alloc()
    private var encoded = av_packet_alloc()
    /// The next chunk's time in samples; set from the first decoded frame.
    private var nextPTS: Int64?

    init(stream: UnsafeMutablePointer<AVStream>, globalHeader: Bool) throws(MediaError) {
        sourceTimeBase = stream.pointee.time_base
        let parameters = stream.pointee.codecpar!
        guard let decoding = avcodec_find_decoder(parameters.pointee.codec_id), let encoding = avcodec_find_encoder(AV_CODEC_ID_AAC) else {
            throw .transcodeFailed("no decoder for the sound, or no AAC encoder")
        }
        decoder = avcodec_alloc_context3(decoding)
        encoder = avcodec_alloc_context3(encoding)
        guard let decoder, let encoder, resampler != nil, decoded != nil, resampled != nil, chunk != nil, encoded != nil else {
            throw .transcodeFailed("out of memory")
        }
        decoder.pointee.thread_count = 1
        guard avcodec_parameters_to_context(decoder, parameters) >= 0, avcodec_open2(decoder, decoding, nil) >= 0 else {
            throw .transcodeFailed("the sound's decoder would not open")
        }
        let rate = Self.rates.contains(decoder.pointee.sample_rate) ? decoder.pointee.sample_rate : 48000
        encoder.pointee.sample_rate = rate
        encoder.pointee.sample_fmt = AV_SAMPLE_FMT_FLTP
        av_channel_layout_default(&encoder.pointee.ch_layout, min(2, max(1, decoder.pointee.ch_layout.nb_channels)))
        encoder.pointee.bit_rate = 128_000
        encoder.pointee.time_base = AVRational(num: 1, den: rate)
        if globalHeader { encoder.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        guard avcodec_open2(encoder, encoding, nil) >= 0 else { throw .transcodeFailed("the AAC encoder would not open") }
        fifo = av_audio_fifo_alloc(encoder.pointee.sample_fmt, encoder.pointee.ch_layout.nb_channels, encoder.pointee.frame_size)
        guard fifo != nil else { throw .transcodeFailed("out of memory") }
    }

    deinit {
        avcodec_free_context(&decoder)
        avcodec_free_context(&encoder)
        swr_free(&resampler)
        av_audio_fifo_free(fifo)
        av_frame_free(&decoded)
        av_frame_free(&resampled)
        av_frame_free(&chunk)
        av_packet_free(&encoded)
    }

    /// The encoded packets' time base.
    var timeBase: AVRational { encoder!.pointee.time_base }

    /// Describes the AAC stream for a muxer.
    func describe(_ parameters: UnsafeMutablePointer<AVCodecParameters>) throws(MediaError) {
        guard avcodec_parameters_from_context(parameters, encoder) >= 0 else { throw .transcodeFailed("out of memory") }
    }

    /// Feeds one packet of the source's sound (nil: the end, everything held comes out);
    /// `emit` gets each AAC packet, valid during the call.
    func transcode(
        _ packet: UnsafeMutablePointer<AVPacket>?, emit: (UnsafeMutablePointer<AVPacket>) throws(MediaError) -> Void
    ) throws(MediaError) {
        guard let decoder, let decoded, let resampled else { return }
        // A packet the decoder refuses is skipped, as with the picture.
        guard avcodec_send_packet(decoder, packet) >= 0 || packet == nil else { return }
        while avcodec_receive_frame(decoder, decoded) >= 0 {
            defer { av_frame_unref(decoded) }
            if nextPTS == nil {
                let start = decoded.pointee.pts
                nextPTS = start == douyin_av_nopts_value() ? 0 : av_rescale_q(start, sourceTimeBase, timeBase)
            }
            try resample(decoded)
            try encodeChunks(emit: emit, flushing: false)
        }
        guard packet == nil else { return }
        if swr_is_initialized(resampler) != 0 { try resample(nil) }  // what the resampler holds back
        try encodeChunks(emit: emit, flushing: true)
        avcodec_send_frame(encoder, nil)
        try receivePackets(emit)
    }

    private func resample(_ source: UnsafeMutablePointer<AVFrame>?) throws(MediaError) {
        guard let encoder, let resampled else { return }
        defer { av_frame_unref(resampled) }
        av_channel_layout_copy(&resampled.pointee.ch_layout, &encoder.pointee.ch_layout)
        resampled.pointee.sample_rate = encoder.pointee.sample_rate
        resampled.pointee.format = encoder.pointee.sample_fmt.rawValue
        // The first call configures the resampler from both frames.
        guard swr_convert_frame(resampler, resampled, source) >= 0 else { throw .transcodeFailed("resampling the sound failed") }
        guard resampled.pointee.nb_samples > 0 else { return }
        let written = av_audio_fifo_write(
            fifo, UnsafeMutableRawPointer(resampled.pointee.extended_data).assumingMemoryBound(to: UnsafeMutableRawPointer?.self),
            resampled.pointee.nb_samples
        )
        guard written == resampled.pointee.nb_samples else { throw .transcodeFailed("out of memory") }
    }

    /// Encodes whole frames from the FIFO; when `flushing`, also the short last one.
    private func encodeChunks(emit: (UnsafeMutablePointer<AVPacket>) throws(MediaError) -> Void, flushing: Bool) throws(MediaError) {
        guard let encoder, let chunk else { return }
        let frameSize = encoder.pointee.frame_size
        while av_audio_fifo_size(fifo) >= frameSize || (flushing && av_audio_fifo_size(fifo) > 0) {
            let samples = min(frameSize, av_audio_fifo_size(fifo))
            defer { av_frame_unref(chunk) }
            chunk.pointee.nb_samples = samples
            av_channel_layout_copy(&chunk.pointee.ch_layout, &encoder.pointee.ch_layout)
            chunk.pointee.format = encoder.pointee.sample_fmt.rawValue
            chunk.pointee.sample_rate = encoder.pointee.sample_rate
            guard av_frame_get_buffer(chunk, 0) >= 0 else { throw .transcodeFailed("out of memory") }
            let read = av_audio_fifo_read(
                fifo, UnsafeMutableRawPointer(chunk.pointee.extended_data).assumingMemoryBound(to: UnsafeMutableRawPointer?.self), samples
            )
            guard read == samples else { throw .transcodeFailed("reading the sound buffer failed") }
            chunk.pointee.pts = nextPTS ?? 0
            nextPTS = (nextPTS ?? 0) + Int64(samples)
            guard avcodec_send_frame(encoder, chunk) >= 0 else { throw .transcodeFailed("the AAC encoder refused a frame") }
            try receivePackets(emit)
        }
    }

    private func receivePackets(_ emit: (UnsafeMutablePointer<AVPacket>) throws(MediaError) -> Void) throws(MediaError) {
        guard let encoder, let encoded else { return }
        while true {
            let received = avcodec_receive_packet(encoder, encoded)
            if received == douyin_averror_eagain() || received == douyin_averror_eof() { return }
            guard received >= 0 else { throw .transcodeFailed("AAC encoding failed: \(MediaInspector.errorText(received))") }
            defer { av_packet_unref(encoded) }
            try emit(encoded)
        }
    }
}
