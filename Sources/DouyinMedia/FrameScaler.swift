import CFFmpeg

/// Converts decoded frames to one size and pixel format with libswscale, into a frame it
/// owns and reuses (made writable first, so an encoder still holding the last one keeps it).
final class FrameScaler {
    let width: Int32
    let height: Int32
    let pixelFormat: AVPixelFormat
    private var context: OpaquePointer?
    private var target: UnsafeMutablePointer<AVFrame>?

    init(width: Int, height: Int, pixelFormat: AVPixelFormat) throws(MediaError) {
        self.width = Int32(width)
        self.height = Int32(height)
        self.pixelFormat = pixelFormat
        target = av_frame_alloc()
        guard let target else { throw .undecodable("out of memory") }
        target.pointee.width = self.width
        target.pointee.height = self.height
        target.pointee.format = pixelFormat.rawValue
        guard av_frame_get_buffer(target, 0) >= 0 else { throw .undecodable("out of memory") }
    }

    deinit {
        sws_freeContext(context)
        av_frame_free(&target)
    }

    /// `source` scaled; valid until the next call.
    func scale(_ source: UnsafeMutablePointer<AVFrame>) throws(MediaError) -> UnsafeMutablePointer<AVFrame> {
        guard let target, av_frame_make_writable(target) >= 0 else { throw .undecodable("out of memory") }
        // The cached context is rebuilt only if the source's size or format changes mid-stream.
        context = sws_getCachedContext(
            context, source.pointee.width, source.pointee.height, AVPixelFormat(source.pointee.format),
            width, height, pixelFormat, Int32(SWS_BICUBIC), nil, nil, nil
        )
        guard let context else { throw .undecodable("unsupported pixel format") }
        let rows = withUnsafePointer(to: &source.pointee.data) { sourceData in
            withUnsafePointer(to: &source.pointee.linesize) { sourceLines in
                withUnsafePointer(to: &target.pointee.data) { targetData in
                    withUnsafePointer(to: &target.pointee.linesize) { targetLines in
                        sws_scale(
                            context,
                            UnsafeRawPointer(sourceData).assumingMemoryBound(to: UnsafePointer<UInt8>?.self),
                            UnsafeRawPointer(sourceLines).assumingMemoryBound(to: Int32.self),
                            0, source.pointee.height,
                            UnsafeRawPointer(targetData).assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self),
                            UnsafeRawPointer(targetLines).assumingMemoryBound(to: Int32.self)
                        )
                    }
                }
            }
        }
        guard rows > 0 else { throw .undecodable("scaling failed") }
        return target
    }

    /// Keeps the aspect ratio, never enlarges, and keeps sides even (4:2:0 chroma).
    static func fitted(width: Int, height: Int, maxSide: Int) -> (Int, Int) {
        guard width > 0, height > 0 else { return (0, 0) }
        let scale = min(1, Double(maxSide) / Double(max(width, height)))
        return (even(Int(Double(width) * scale)), even(Int(Double(height) * scale)))
    }

    /// 4:2:0 chroma wants even sides, at least 2.
    static func even(_ side: Int) -> Int { max(2, side & ~1) }
}
