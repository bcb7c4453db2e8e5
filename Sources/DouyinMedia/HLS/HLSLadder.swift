/// One HLS variant: H.264 at a size, capped at a bit rate.
public struct HLSRendition: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// The encoder's cap (VBV maximum rate), bits per second.
    public var maxBitRate: Int

    public init(width: Int, height: Int, maxBitRate: Int) {
        self.width = width
        self.height = height
        self.maxBitRate = maxBitRate
    }

    /// Named by its shorter side, as players label them (a portrait 480x854 is "480p").
    public var name: String { "\(min(width, height))p" }
}

/// Which renditions a source gets: the rungs below its shorter side (short videos are often
/// portrait, so "720p" means 720 pixels across the narrow side) and the source's own size up
/// to the top rung; never enlarged. A 360p source gets 240p and 360p, a 1080p one 240p,
/// 480p and 720p, a 120p one only itself.
public enum HLSLadder {
    public static let rungs: [(shortSide: Int, maxBitRate: Int)] = [(240, 400_000), (480, 1_000_000), (720, 2_500_000)]

    public static func renditions(sourceWidth width: Int, sourceHeight height: Int) -> [HLSRendition] {
        guard width > 0, height > 0 else { return [] }
        let short = min(width, height)
        // The source's own size (or the top rung), capped like the next rung up.
        let top = min(short, rungs.last!.shortSide)
        var sides = rungs.filter { $0.shortSide < top }
        sides.append((top, rungs.first { $0.shortSide >= top }?.maxBitRate ?? rungs.last!.maxBitRate))
        return sides.map { side in
            let scale = Double(side.shortSide) / Double(short)
            return HLSRendition(
                width: FrameScaler.even(Int((Double(width) * scale).rounded())),
                height: FrameScaler.even(Int((Double(height) * scale).rounded())),
                maxBitRate: side.maxBitRate
            )
        }
    }
}
