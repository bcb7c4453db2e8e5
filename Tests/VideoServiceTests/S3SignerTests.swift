import Foundation
import Testing
@testable import VideoService

@Suite struct S3SignerTests {
    /// The "GET Object" example of the AWS SigV4 documentation for S3.
    @Test func matchesTheAWSDocumentationExample() {
        let signer = S3Signer(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1")
        let headers = signer.sign(
            method: "GET", path: "/test.txt",
            headers: [("host", "examplebucket.s3.amazonaws.com"), ("range", "bytes=0-9")],
            payloadHash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            date: Date(timeIntervalSince1970: 1_369_353_600)
        )
        let authorization = headers.first { $0.0 == "Authorization" }?.1
        #expect(authorization == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(headers.first { $0.0 == "x-amz-date" }?.1 == "20130524T000000Z")
    }

    @Test func encodesLikeSigV4() {
        #expect(S3Signer.encode("a b/c~d", slash: false) == "a%20b/c~d")
        #expect(S3Signer.encode("a b/c", slash: true) == "a%20b%2Fc")
    }
}

@Suite struct ByteRangeTests {
    @Test func singleRanges() {
        #expect(ByteRange.parse("bytes=0-9", size: 100) == .part(0...9))
        #expect(ByteRange.parse("bytes=90-", size: 100) == .part(90...99))
        #expect(ByteRange.parse("bytes=-10", size: 100) == .part(90...99))
        #expect(ByteRange.parse("bytes=-500", size: 100) == .part(0...99))
        #expect(ByteRange.parse("bytes=50-5000", size: 100) == .part(50...99))
        #expect(ByteRange.parse("bytes=100-", size: 100) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=-0", size: 100) == .unsatisfiable)
    }

    @Test func everythingElseIsTheWholeFile() {
        for header in [nil, "bytes=0-1,5-9", "items=0-9", "bytes=9-1", "bytes=a-b", "bytes=", "bytes=-"] {
            #expect(ByteRange.parse(header, size: 100) == .whole, "\(header ?? "nil")")
        }
    }
}
