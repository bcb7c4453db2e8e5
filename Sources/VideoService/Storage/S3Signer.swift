import DouyinCrypto
import DouyinHTTP
import Foundation

/// AWS Signature Version 4 for S3 requests, as the AWS documentation specifies
/// ("Authenticating Requests: Using the Authorization Header"). Payloads are
/// sent as `UNSIGNED-PAYLOAD` so uploads stream without hashing them first.
struct S3Signer: Sendable {
    let accessKey: String
    let secretKey: String
    let region: String
    static let unsignedPayload = "UNSIGNED-PAYLOAD"

    /// The headers to add: `x-amz-date`, `x-amz-content-sha256` and `Authorization`.
    /// `headers` are the other headers to sign (at least `host`), lowercased names.
    func sign(
        method: String, path: String, query: [(String, String)] = [], headers: [(String, String)],
        payloadHash: String = S3Signer.unsignedPayload, date: Date = Date()
    ) -> [(String, String)] {
        let (amzDate, day) = Self.timestamps(date)
        var signed = headers.map { ($0.0.lowercased(), $0.1.trimmingCharacters(in: .whitespaces)) }
        signed.append(("x-amz-content-sha256", payloadHash))
        signed.append(("x-amz-date", amzDate))
        signed.sort { $0.0 < $1.0 }
        let signedHeaders = signed.map(\.0).joined(separator: ";")
        let encodedQuery: [(String, String)] = query.map { (Self.encode($0.0, slash: true), Self.encode($0.1, slash: true)) }
        let sortedQuery = encodedQuery.sorted { (a: (String, String), b: (String, String)) -> Bool in a.0 == b.0 ? a.1 < b.1 : a.0 < b.0 }
        let canonicalQuery: String = sortedQuery.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        let canonicalHeaders: String = signed.map { "\($0.0):\($0.1)\n" }.joined()
        let canonicalRequest: String = [
            method, Self.encode(path, slash: false), canonicalQuery, canonicalHeaders, signedHeaders, payloadHash,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/s3/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, Digest.hex(Digest.sha256(Array(canonicalRequest.utf8)))]
            .joined(separator: "\n")
        var key = Array("AWS4\(secretKey)".utf8)
        for part in [day, region, "s3", "aws4_request"] { key = Digest.hmacSHA256(key: key, Array(part.utf8)) }
        let signature = Digest.hex(Digest.hmacSHA256(key: key, Array(stringToSign.utf8)))
        return [
            ("x-amz-date", amzDate),
            ("x-amz-content-sha256", payloadHash),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=\(accessKey)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"),
        ]
    }

    static func timestamps(_ date: Date) -> (amzDate: String, day: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let day = String(format: "%04d%02d%02d", c.year!, c.month!, c.day!)
        return (day + String(format: "T%02d%02d%02dZ", c.hour!, c.minute!, c.second!), day)
    }

    /// URI encoding as SigV4 wants it: unreserved characters kept, `/` kept in paths.
    static func encode(_ text: String, slash: Bool) -> String {
        FormURLEncoding.percentEncode(text, keeping: slash ? [] : [UInt8(ascii: "/")])
    }
}
