import DouyinHTTP
import DouyinIdentity
import DouyinModels
import Testing

@Suite struct RequestParametersTests {
    func parse(_ query: String, body: String = "") throws -> RequestParameters {
        RequestParameters(sources: [try FormURLEncoding.decode(Array(query.utf8)), try FormURLEncoding.decode(Array(body.utf8))])
    }

    @Test func queryWinsFirstWinsEmptyIsAbsent() throws {
        let params = try parse("a=1&a=2&b=&c=q", body: "b=body&c=body&d=%E4%BD%A0+x")
        #expect(params["a"] == "1")
        #expect(params["b"] == "body")
        #expect(params["c"] == "q")
        #expect(params["d"] == "你 x")
        #expect(params["e"] == nil)
    }

    @Test(arguments: ["%FF", "%C3", "a%00b", "%zz", "%4"])
    func badEncodingFails(_ value: String) {
        #expect(throws: DouyinError.self) { try parse("x=\(value)") }
    }

    /// Bytes that need no unescaping are checked where they lie: raw invalid UTF-8 and NUL fail too.
    @Test(arguments: [[0xFF], [0x61, 0x00, 0x62], [0xC3]] as [[UInt8]])
    func badRawBytesFail(_ value: [UInt8]) {
        #expect(throws: DouyinError.self) { try FormURLEncoding.decode(Array("x=".utf8) + value) }
        #expect(throws: DouyinError.self) { try FormURLEncoding.decode(value + Array("=x".utf8)) }
    }

    @Test func rawUTF8PassesUnchanged() throws {
        let pairs = try FormURLEncoding.decode(Array("name=抖音&token=abc.DEF-_~".utf8))
        #expect(pairs.map(\.0) == ["name", "token"] && pairs.map(\.1) == ["抖音", "abc.DEF-_~"])
    }

    /// One parameter read alone agrees with reading them all.
    @Test(arguments: ["token=a", "x=1&token=&token=b", "%74oken=c&token=d", "token", "token=%41+B", "x=%zz&token=e", "y=1", ""])
    func singleParameterReadsLikeAll(_ query: String) throws {
        let all = (try? FormURLEncoding.decode(Array(query.utf8))).map { RequestParameters(sources: [$0])["token"] }
        let alone = try FormURLEncoding.parameter("token", in: query)
        // A malformed other field fails the full read, never the single one.
        if let all { #expect(alone == all) } else { #expect(alone == "e") }
    }

    @Test func singleParameterWithBadValueFails() {
        #expect(throws: DouyinError.self) { try FormURLEncoding.parameter("token", in: "token=%zz") }
        #expect(throws: DouyinError.self) { try FormURLEncoding.parameter("token", in: "token=a%00") }
    }

    @Test(arguments: ["1", "0", "9223372036854775807", "0012"])
    func acceptsDigitIntegers(_ text: String) throws {
        #expect(try parse("n=\(text)").int64("n") == Int64(text))
    }

    @Test(arguments: ["-1", "+1", "1.5", "1e3", "0x10", " 1", "1 ", "abc", "9223372036854775808", "99999999999999999999"])
    func refusesOtherIntegers(_ text: String) throws {
        let params = RequestParameters(sources: [[("n", text)]])
        #expect(throws: DouyinError.self) { try params.int64("n") }
    }

    @Test func idsArePositiveAndBelow2To53() throws {
        #expect(try RequestParameters(sources: [[("id", "9007199254740991")]]).id("id") == 9_007_199_254_740_991)
        for bad in ["0", "9007199254740992"] {
            #expect(throws: DouyinError.self) { try RequestParameters(sources: [[("id", bad)]]).id("id") }
        }
        #expect(throws: DouyinError(.missingParameter, "id is required")) { try RequestParameters().id("id") }
    }

    @Test func lengthsCountCodePoints() throws {
        let params = RequestParameters(sources: [[("s", "e\u{301}😀")]])
        #expect(try params.string("s", codePoints: 3...3) == "e\u{301}😀")
        #expect(throws: DouyinError.self) { try params.string("s", codePoints: 1...2) }
    }
}

@Suite struct MultipartFormTests {
    @Test func readsTextPartsAndSkipsTheFile() throws {
        let body = [
            "--XyZ", "Content-Disposition: form-data; name=\"title\"", "", "héllo",
            "--XyZ", "Content-Disposition: form-data; name=\"data\"; filename=\"a.mp4\"", "Content-Type: video/mp4", "", "BINARY",
            "--XyZ", "Content-Disposition: form-data; name=token", "", "abc",
            "--XyZ--", "",
        ].joined(separator: "\r\n")
        let pairs = try MultipartForm.textParameters(.init(string: body), boundary: "XyZ")
        #expect(pairs.map(\.0) == ["title", "token"])
        #expect(pairs.map(\.1) == ["héllo", "abc"])
    }

    @Test func boundaryFromContentType() {
        #expect(MultipartForm.boundary(fromContentType: "multipart/form-data; boundary=abc") == "abc")
        #expect(MultipartForm.boundary(fromContentType: "Multipart/Form-Data;boundary=\"a b\"") == "a b")
        #expect(MultipartForm.boundary(fromContentType: "multipart/form-data") == nil)
        #expect(MultipartForm.boundary(fromContentType: "text/plain; boundary=x") == nil)
    }
}

@Suite struct BearerTokenTests {
    @Test func acceptsOnlyTheExactForm() {
        #expect(IdentityResolver.bearerToken("Bearer abc") == "abc")
        #expect(IdentityResolver.bearerToken("bEaReR abc") == "abc")
        for bad in ["Bearer  abc", "Bearer", "Bearer ", "Basic abc", "abc", "Bearer abc def", "Bearerabc"] {
            #expect(IdentityResolver.bearerToken(bad) == nil, "\(bad)")
        }
    }
}
