import DouyinMedia
import Foundation
import Testing

/// Inputs are made with the `ffmpeg` command (a test tool here; the service links the libraries).
@Suite struct MediaInspectorTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("media-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func make(_ name: String, _ arguments: [String]) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try FFmpegCommand.make(arguments, at: path)
        return path
    }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    @Test func aSmallMP4ProbesAndYieldsAJPEGCover() throws {
        let video = try make("v.mp4", ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=10", "-t", "1", "-pix_fmt", "yuv420p"])
        let (info, cover) = try MediaInspector.inspect(path: video)
        #expect(info.container.contains("mp4"))
        #expect(info.width == 320 && info.height == 240)
        #expect(abs(info.durationSeconds - 1) < 0.2)
        #expect(Array(cover.prefix(2)) == [0xFF, 0xD8])
        #expect(Array(cover.suffix(2)) == [0xFF, 0xD9])
        // An independent decoder reads it as a 320x240 JPEG.
        let file = try write("cover.jpg", cover)
        #expect(try probe(file) == "codec_name=mjpeg,width=320,height=240")
    }

    func probe(_ path: String) throws -> String {
        let process = Process()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffprobe")
        process.arguments = ["-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "compact=p=0", path]
        process.standardOutput = output
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return text.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "|", with: ",")
    }

    @Test func coversAreScaledDownKeepingTheAspect() throws {
        let video = try make("wide.mkv", ["-f", "lavfi", "-i", "testsrc=size=1280x720:rate=5", "-t", "0.6"])
        let (info, cover) = try MediaInspector.inspect(path: video, maxCoverSide: 320)
        #expect(info.width == 1280)
        #expect(try probe(try write("small.jpg", cover)) == "codec_name=mjpeg,width=320,height=180")
    }

    @Test func animatedGIFCounts() throws {
        let gif = try make("a.gif", ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=5", "-t", "1"])
        #expect(try MediaInspector.inspect(path: gif).cover.starts(with: [0xFF, 0xD8]))
    }

    @Test func audioOnlyIsRefused() throws {
        let audio = try make("a.m4a", ["-f", "lavfi", "-i", "sine=frequency=440:duration=1"])
        #expect(throws: MediaError.noVideoStream) { try MediaInspector.inspect(path: audio) }
    }

    @Test func stillImagesAreRefused() throws {
        for (name, extra) in [("p.png", [String]()), ("j.jpg", [])] {
            let image = try make(name, ["-f", "lavfi", "-i", "testsrc=size=64x48", "-frames:v", "1"] + extra)
            #expect(throws: MediaError.stillImage) { try MediaInspector.inspect(path: image) }
        }
    }

    @Test func truncatedTextRandomAndEmptyFilesAreRefused() throws {
        let video = try make("full.mp4", ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "1", "-pix_fmt", "yuv420p"])
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: video)))
        var random = [UInt8](repeating: 0, count: 4096)
        for index in random.indices { random[index] = UInt8.random(in: .min ... .max) }
        let files = [
            try write("half.mp4", Array(bytes.prefix(bytes.count / 2))),
            try write("notes.mp4", Array("just some text, not a video\n".utf8)),
            try write("noise.bin", random),
            try write("empty.mp4", []),
        ]
        for file in files {
            #expect(throws: MediaError.self, "\(file)") { try MediaInspector.inspect(path: file) }
        }
    }
}
