import DouyinHTTP
import NIOCore
import Testing

/// The multipart parser: the same parts however the body is cut, and a thrown error,
/// never a trap, for anything a client can send.
struct MultipartReaderTests {
    struct Part: Equatable {
        var headers: [String] = []
        var body: [UInt8] = []
    }

    /// Parses `body` fed in pieces cut at `cuts`; the parts, or the error.
    func parse(_ body: [UInt8], boundary: String = "XyZ", cuts: [Int] = []) -> Result<[Part], MultipartReader.Malformed> {
        let reader = MultipartReader(boundary: boundary, maxHeaderBytes: 256)
        var parts: [Part] = []
        var current = Part()
        reader.onHeader = { current.headers.append("\($0)=\($1)") }
        reader.onBody = { current.body += $0.readableBytesView }
        reader.onPartComplete = {
            parts.append(current)
            current = Part()
        }
        do throws(MultipartReader.Malformed) {
            var start = 0
            for end in cuts + [body.count] where end >= start {
                try reader.read(ByteBuffer(bytes: body[start..<end]))
                start = end
            }
            try reader.finish()
            return .success(parts)
        } catch {
            return .failure(error)
        }
    }

    static let form = Array(
        (
            "preamble to ignore\r\n"
                + "--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n"
                + "--XyZ  \r\ncontent-disposition: form-data; name=\"data\"; filename=\"视频.mp4\"\r\nContent-Type: video/mp4\r\n\r\n"
                + "bytes\r\n--XyNOT a boundary\r\n--XyZ\r\n\r\nno headers\r\n--XyZ--\r\nepilogue"
        ).utf8
    )

    static let expected = [
        Part(headers: ["Content-Disposition=form-data; name=\"title\""], body: Array("hello".utf8)),
        Part(
            headers: ["content-disposition=form-data; name=\"data\"; filename=\"视频.mp4\"", "Content-Type=video/mp4"],
            body: Array("bytes\r\n--XyNOT a boundary".utf8)
        ),
        Part(headers: [], body: Array("no headers".utf8)),
    ]

    @Test func partsHeadersAndBodies() throws {
        #expect(try parse(Self.form).get() == Self.expected)
    }

    @Test func theSamePartsWhereverTheBodyIsCut() throws {
        for cut in 0...Self.form.count {
            #expect(try parse(Self.form, cuts: [cut]).get() == Self.expected, "cut at \(cut)")
        }
        #expect(try parse(Self.form, cuts: Array(0..<Self.form.count)).get() == Self.expected, "one byte at a time")
    }

    @Test(arguments: [
        ("a header name with a byte above 0x7F", "--XyZ\r\n\u{C0}\u{FC}: x\r\n\r\nbody\r\n--XyZ--\r\n"),
        ("a header line without a colon", "--XyZ\r\nÀü©\n/²Ù\r\n\r\nbody\r\n--XyZ--\r\n"),
        ("bytes after a boundary", "--XyZjunk\r\n\r\nbody\r\n--XyZ--\r\n"),
        ("no closing boundary", "--XyZ\r\nA: b\r\n\r\nbody"),
        ("no boundary at all", "just text"),
        ("an empty body", ""),
        ("a header block too large", "--XyZ\r\nA: " + String(repeating: "b", count: 300) + "\r\n\r\nx\r\n--XyZ--"),
        ("headers that never end", "--XyZ\r\nA: " + String(repeating: "b", count: 300)),
    ])
    func malformedBodiesAreRefused(_ what: String, _ body: String) {
        #expect(throws: MultipartReader.Malformed.self, "\(what)") { try parse(Array(body.utf8)).get() }
    }

    /// The request that stopped the video service: a part whose header bytes are not text.
    @Test func theFuzzersBodyIsRefused() {
        var body = Array("--27d34ef5c6cfbc4f2d1dba53835e3140\r\n".utf8)
        body += [0xC3, 0x80, 0xC3, 0xBC, 0xC2, 0xA9, 0x0A, 0x2F, 0xC2, 0x92, 0x56, 0xF0, 0x91, 0xBA, 0xBF, 0xC2, 0xB2]
        body += Array("%)\u{7}--27d34ef5c6cfbc4f2d1dba53835e3140--\r\n".utf8)
        #expect(throws: MultipartReader.Malformed.self) { try parse(body, boundary: "27d34ef5c6cfbc4f2d1dba53835e3140").get() }
    }

    /// Random bytes, random cuts, around a real boundary: an answer every time, never a trap.
    @Test func randomBytesNeverTrap() {
        var random = SystemRandomNumberGenerator()
        let alphabet = Array("--XyZ\r\n: ab".utf8) + [0x00, 0x7F, 0x80, 0xC0, 0xFF]
        for _ in 0..<3_000 {
            let body = (0..<Int.random(in: 0...80, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
            let cuts = (0..<3).map { _ in Int.random(in: 0...body.count, using: &random) }.sorted()
            _ = parse(body, cuts: cuts)
        }
    }
}
