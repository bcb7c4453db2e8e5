import DouyinMedia
import Foundation
import Testing

@Suite struct HLSLadderTests {
    @Test(arguments: [
        (1920, 1080, ["240p", "480p", "720p"]),
        (720, 1280, ["240p", "480p", "720p"]),
        (640, 360, ["240p", "360p"]),
        (854, 480, ["240p", "480p"]),
        (160, 120, ["120p"]),
    ])
    func rungsNeverAboveTheSource(width: Int, height: Int, names: [String]) {
        let renditions = HLSLadder.renditions(sourceWidth: width, sourceHeight: height)
        #expect(renditions.map(\.name) == names)
        for rendition in renditions {
            #expect(rendition.width <= width && rendition.height <= height)
            #expect(rendition.width % 2 == 0 && rendition.height % 2 == 0)
            // Aspect kept to within the rounding to even sides.
            #expect(abs(Double(rendition.width) / Double(rendition.height) - Double(width) / Double(height)) < 0.05)
        }
    }
}

/// Inputs are made with the `ffmpeg` command; the output is read back with libavformat.
@Suite final class HLSTranscoderTests: Sendable {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    func make(_ arguments: [String], as name: String = "source.mp4") async throws -> String {
        let path = directory.appendingPathComponent(name).path
        try await onOwnThread { try FFmpegCommand.make(arguments, at: path) }
        return path
    }

    func output() throws -> String {
        let path = directory.appendingPathComponent("out").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func playlist(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test func aVideoWithSoundBecomesPlayableRenditions() async throws {
        let source = try await make([
            "-f", "lavfi", "-i", "testsrc=size=854x480:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", "7", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
        ])
        let folder = try output()
        let result = try await onOwnThread { try HLSTranscoder.transcode(input: source, into: folder) }
        #expect(result.renditions.map(\.name) == ["240p", "480p"])
        #expect(result.hasAudio)
        #expect(Array(result.smallCover.prefix(2)) == [0xFF, 0xD8])

        let master = try playlist("\(folder)/\(result.masterPlaylist)")
        #expect(master.first == "#EXTM3U")
        let variants = master.filter { $0.hasPrefix("#EXT-X-STREAM-INF:") }
        #expect(variants.count == 2)
        #expect(variants.allSatisfy { $0.contains("BANDWIDTH=") && $0.contains("RESOLUTION=") })
        #expect(variants.first?.contains("RESOLUTION=426x240") == true)
        let media = master.filter { !$0.hasPrefix("#") && !$0.isEmpty }
        #expect(media == ["r0.m3u8", "r1.m3u8"])

        for (name, rendition) in zip(media, result.renditions) {
            let lines = try playlist("\(folder)/\(name)")
            #expect(lines.contains("#EXT-X-ENDLIST"))
            let durations = lines.filter { $0.hasPrefix("#EXTINF:") }.compactMap { Double($0.dropFirst(8).split(separator: ",")[0]) }
            #expect(abs(durations.reduce(0, +) - 7) < 0.5)
            #expect(durations.dropLast().allSatisfy { (1.9...4.1).contains($0) }, "segments of 2 to 4 s: \(durations)")
            // Each rendition reads back as a video of its size and length.
            let (info, _) = try MediaInspector.inspect(path: "\(folder)/\(name)")
            #expect(info.width == rendition.width && info.height == rendition.height)
            #expect(info.codec == "h264")
            #expect(abs(info.durationSeconds - 7) < 0.5)
        }
    }

    /// FLAC in Matroska: HLS cannot carry FLAC, so the sound is made AAC for every rendition.
    @Test func soundInAnotherCodecIsMadeAAC() async throws {
        let source = try await make([
            "-f", "lavfi", "-i", "testsrc=size=640x360:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050",
            "-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "flac", "-ac", "1", "-shortest",
        ], as: "source.mkv")
        let folder = try output()
        let result = try await onOwnThread { try HLSTranscoder.transcode(input: source, into: folder) }
        #expect(result.hasAudio)
        let variants = try playlist("\(folder)/\(result.masterPlaylist)").filter { $0.hasPrefix("#EXT-X-STREAM-INF:") }
        #expect(variants.count == 2 && variants.allSatisfy { $0.contains("mp4a.40.2") }, "AAC in every variant: \(variants)")
        // The sound lasts as long as the picture, read back from a rendition.
        let (info, _) = try MediaInspector.inspect(path: "\(folder)/r1.m3u8")
        #expect(abs(info.durationSeconds - 4) < 0.5)
        // ffprobe (a test tool here) finds AAC frames for the whole four seconds: 22,050 Hz / 1,024.
        let probe = Process()
        let output = Pipe()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/ffprobe")
        probe.arguments = [
            "-v", "error", "-select_streams", "a", "-count_packets", "-show_entries", "stream=codec_name,nb_read_packets",
            "-of", "csv=p=0", "\(folder)/r1.m3u8",
        ]
        probe.standardOutput = output
        try probe.run()
        probe.waitUntilExit()
        let fields = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",")
        #expect(fields.first == "aac")
        #expect((80...95).contains(Int(fields.last ?? "") ?? 0), "\(fields)")
    }

    @Test func aSilentSmallVideoGetsOneRendition() async throws {
        let source = try await make(["-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "3", "-pix_fmt", "yuv420p"])
        let folder = try output()
        let result = try await onOwnThread { try HLSTranscoder.transcode(input: source, into: folder) }
        #expect(result.renditions == [HLSRendition(width: 160, height: 120, maxBitRate: 400_000)])
        #expect(!result.hasAudio)
        let (info, _) = try MediaInspector.inspect(path: "\(folder)/r0.m3u8")
        #expect(info.width == 160)
    }

    @Test func aCancelledTranscodeStops() async throws {
        let source = try await make(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "5", "-pix_fmt", "yuv420p"])
        let folder = try output()
        await #expect(throws: MediaError.cancelled) {
            try await onOwnThread {
                var asked = 0
                return try HLSTranscoder.transcode(input: source, into: folder) {
                    asked += 1
                    return asked > 10
                }
            }
        }
    }
}
