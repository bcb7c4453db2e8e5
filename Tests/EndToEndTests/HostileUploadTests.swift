import DouyinTestSupport
import Foundation
import Testing

extension EndToEnd {
    /// Uploads sent the way real clients and attackers send them: headers and body in
    /// separate segments, bodies trickled or cut, `Expect: 100-continue`, an upstream that
    /// answers early or dies mid-body. Every one gets a clean answer or none (when the
    /// client itself left), and afterwards every process is still the one that started.
    @Suite struct HostileUploadTests {
        static let uploadLimit = 4 << 20
        static let publish = "/douyin/publish/action/"

        func stack(_ body: (Stack) async throws -> Void) async throws {
            try await Stack.with(environment: ["DOUYIN_MAX_UPLOAD_BYTES": String(Self.uploadLimit)], body)
        }

        static func head(_ target: String, length: Int, contentType: String, extra: String = "") -> String {
            "POST \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: \(contentType)\r\nContent-Length: \(length)\r\n\(extra)\r\n"
        }

        static func multipart(_ file: [UInt8], title: String = "t") -> (contentType: String, body: [UInt8]) {
            let boundary = "hostile-\(UInt32.random(in: 0 ... .max))"
            let body = APIClient.multipart(file, fields: [("title", title)], boundary: boundary)
            return ("multipart/form-data; boundary=\(boundary)", Array(body.readableBytesView))
        }

        /// Sends the head, pauses, sends the body in its own segment, and returns the answer.
        func separateSegments(_ stack: Stack, target: String, contentType: String, body: [UInt8]) async throws -> RawHTTPConnection.Answer {
            try await RawHTTPConnection.open(port: stack.gatewayPort) { connection in
                try await connection.send(Self.head(target, length: body.count, contentType: contentType))
                try await Task.sleep(for: .milliseconds(10))
                try await connection.send(body)
                return try await connection.answer()
            }
        }

        func expectAllAlive(_ stack: Stack, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            #expect(stack.exitedProcesses().isEmpty, "exited: \(stack.exitedProcesses())", sourceLocation: sourceLocation)
            let health = try await stack.api.get("/healthz")
            #expect(health.status == 200, "\(health.text)", sourceLocation: sourceLocation)
        }

        /// The reported crash: a multipart upload without a boundary, body in its own segment.
        @Test func malformedUploadsWithTheBodyInItsOwnSegment() async throws {
            try await stack { stack in
                let author = try await stack.api.register("uploader")
                let withToken = "\(Self.publish)?title=x&token=\(author.token)"
                for round in 0..<30 {
                    for target in ["\(Self.publish)?title=x", withToken] {
                        let answer = try await separateSegments(
                            stack, target: target, contentType: "multipart/form-data", body: Array("no boundary here".utf8)
                        )
                        #expect(answer.isCleanFailure, "round \(round): \(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
                    }
                    let garbage = try await separateSegments(
                        stack, target: withToken, contentType: "multipart/form-data; boundary=xyz", body: Array("--abc\r\nnot a part".utf8)
                    )
                    #expect(garbage.isCleanFailure, "round \(round): \(garbage.status)")
                    let empty = try await separateSegments(stack, target: withToken, contentType: "multipart/form-data; boundary=xyz", body: [])
                    #expect(empty.isCleanFailure, "round \(round): \(empty.status)")
                }
                try await expectAllAlive(stack)
                // The product still works.
                _ = try await stack.api.publishClip(as: author, title: "after the storm")
            }
        }

        /// Found by the schema fuzzer: a part header that is not text (bytes above 0x7F in its
        /// name) stopped the multipart parser with a trap, in the video service (uploads) and in
        /// every service that reads multipart form parameters. Each answers 400 now.
        @Test func partHeadersThatAreNotTextAreRefused() async throws {
            try await stack { stack in
                let user = try await stack.api.register("headers")
                let other = try await stack.api.register("other")
                let boundary = "27d34ef5c6cfbc4f2d1dba53835e3140"
                var body = Array("--\(boundary)\r\n".utf8)
                body += [0xC3, 0x80, 0xC3, 0xBC, 0xC2, 0xA9, 0x0A, 0x2F, 0xC2, 0x92, 0x56, 0xF0, 0x91, 0xBA, 0xBF]
                body += Array(": x\r\n\r\n%)\u{7}\r\n--\(boundary)--\r\n".utf8)
                let targets = [
                    "\(Self.publish)?title=x&token=\(user.token)",
                    "/douyin/relation/action/?token=\(user.token)&to_user_id=\(other.id)&action_type=1",
                    "/douyin/message/action/?token=\(user.token)&to_user_id=\(other.id)&action_type=1",
                    "/douyin/user/login/",
                ]
                for target in targets {
                    let answer = try await separateSegments(
                        stack, target: target, contentType: "multipart/form-data; boundary=\(boundary)", body: body
                    )
                    #expect(answer.status == 400 && answer.isCleanFailure, "\(target): \(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
                }
                try await expectAllAlive(stack)
            }
        }

        @Test func uploadsCutMidBodyStoreNothing() async throws {
            try await stack { stack in
                let author = try await stack.api.register("cutter")
                let target = "\(Self.publish)?token=\(author.token)"
                let (contentType, body) = Self.multipart(TestMedia.clip, title: "never stored")
                for round in 0..<30 {
                    try await RawHTTPConnection.open(port: stack.gatewayPort) { connection in
                        try await connection.send(Self.head(target, length: body.count, contentType: contentType))
                        // Cut anywhere: in the title, in the file, just before the closing boundary.
                        try await connection.send(body[..<(round % 3 == 2 ? body.count - 3 : body.count * (round % 3 + 1) / 3)])
                        try await Task.sleep(for: .milliseconds(5))
                    }
                }
                // Every cut upload left before its answer; none of them published anything.
                try await Task.sleep(for: .milliseconds(300))
                let list = try await stack.api.get("/douyin/publish/list/", [("user_id", author.idString), ("token", author.token)])
                #expect((list.json["video_list"] as? [Any])?.isEmpty == true, "\(list.text)")
                try await expectAllAlive(stack)
                _ = try await stack.api.publishClip(as: author, title: "whole")
            }
        }

        @Test func trickledAndContinuedUploads() async throws {
            try await stack { stack in
                let author = try await stack.api.register("trickler")
                let target = "\(Self.publish)?token=\(author.token)"
                // A text file named like a video, trickled in small pieces.
                let (textType, text) = Self.multipart(Array(String(repeating: "not a video ", count: 40).utf8))
                for round in 0..<5 {
                    let answer = try await RawHTTPConnection.open(port: stack.gatewayPort) { connection in
                        try await connection.send(Self.head(target, length: text.count, contentType: textType))
                        try await connection.trickle(text, pieces: 37, pause: .milliseconds(2))
                        return try await connection.answer()
                    }
                    #expect(answer.isCleanFailure, "round \(round): \(answer.status)")
                }
                // Expect: 100-continue: the interim answer, then the body, then the verdict.
                for round in 0..<10 {
                    let (answers, second) = try await RawHTTPConnection.open(port: stack.gatewayPort) { connection in
                        try await connection.send(Self.head(target, length: text.count, contentType: textType, extra: "Expect: 100-continue\r\n"))
                        let interim = try await connection.answer()
                        try await connection.send(text)
                        let final = try await connection.answer()
                        // The connection stays usable after a refused upload.
                        try await connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                        return ([interim, final], try await connection.answer())
                    }
                    #expect(answers[0].status == 100, "round \(round)")
                    #expect(answers[1].isCleanFailure, "round \(round): \(answers[1].status)")
                    #expect(second.status == 200, "round \(round)")
                }
                try await expectAllAlive(stack)
            }
        }

        /// The video service refuses a malformed part header in the first bytes, long before
        /// the client has sent the rest: the client's remaining bytes are read and dropped.
        @Test func upstreamThatAnswersBeforeTheBodyEnds() async throws {
            try await stack { stack in
                let author = try await stack.api.register("early")
                let target = "\(Self.publish)?token=\(author.token)"
                let body = Array("--xyz\r\nno colon in this header\r\n\r\n".utf8) + [UInt8](repeating: 0x61, count: 2 << 20)
                for round in 0..<6 {
                    let answer = try await RawHTTPConnection.open(port: stack.gatewayPort) { connection in
                        try await connection.send(Self.head(target, length: body.count, contentType: "multipart/form-data; boundary=xyz"))
                        if round % 2 == 0 {
                            // Everything before reading, as simple clients do.
                            try await connection.trickle(body, pieces: 64 << 10, pause: .milliseconds(1))
                        } else {
                            // A client that reads as soon as it can and then leaves.
                            try await connection.send(body[..<(64 << 10)])
                        }
                        return try await connection.answer(within: .seconds(15))
                    }
                    #expect(answer.isCleanFailure, "round \(round): \(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
                }
                // A body larger than any upload may be: refused, the rest drained.
                let tooLarge = try await RawHTTPConnection.open(port: stack.gatewayPort) { connection in
                    let (contentType, file) = Self.multipart([UInt8](repeating: 0, count: Self.uploadLimit + 200_000))
                    try await connection.send(Self.head(target, length: file.count, contentType: contentType))
                    try await connection.trickle(file, pieces: 256 << 10, pause: .milliseconds(1))
                    return try await connection.answer(within: .seconds(15))
                }
                #expect(tooLarge.status == 413 && tooLarge.isCleanFailure, "\(tooLarge.status)")
                // A form endpoint never takes a body of upload size.
                let form = try await RawHTTPConnection.open(port: stack.gatewayPort) { connection in
                    try await connection.send(Self.head(
                        "/douyin/favorite/action/?token=\(author.token)", length: 3 << 20, contentType: "application/x-www-form-urlencoded"
                    ))
                    try await connection.send([UInt8](repeating: 0x61, count: 64 << 10))
                    return try await connection.answer()
                }
                #expect(form.status == 413 && form.isCleanFailure, "\(form.status)")
                try await expectAllAlive(stack)
            }
        }

        /// A refused token answers before the body is read; the body is drained after.
        @Test func refusedBeforeTheBodyIsRead() async throws {
            try await stack { stack in
                let (contentType, body) = Self.multipart(TestMedia.clip)
                for round in 0..<20 {
                    let answer = try await separateSegments(
                        stack, target: "\(Self.publish)?token=forged\(round)", contentType: contentType, body: body
                    )
                    #expect(answer.status == 401 && answer.isCleanFailure, "round \(round): \(answer.status)")
                }
                try await expectAllAlive(stack)
            }
        }

        /// The video service dies while an upload streams to it: a 503 with the JSON
        /// envelope, and the gateway serves on.
        @Test func upstreamThatDiesMidBody() async throws {
            try await stack { stack in
                let author = try await stack.api.register("survivor")
                let target = "\(Self.publish)?token=\(author.token)"
                let (contentType, body) = Self.multipart([UInt8](repeating: 7, count: 3 << 20))
                let answer = try await RawHTTPConnection.open(port: stack.gatewayPort) { connection in
                    try await connection.send(Self.head(target, length: body.count, contentType: contentType))
                    try await connection.send(body[..<(1 << 20)])
                    try await Task.sleep(for: .milliseconds(200))
                    stack.kill("video")
                    try? await connection.send(body[(1 << 20)...])
                    return try await connection.answer(within: .seconds(15))
                }
                #expect(answer.status == 503, "\(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
                #expect(answer.header("content-type") == "application/json; charset=utf-8")
                try stack.start(.video, name: "video-2")
                try await stack.waitUntilRegistered(.video, count: 1, timeout: .seconds(30))
                try await expectAllAlive(stack)
                var published = false
                for _ in 0..<50 where !published {
                    published = (try? await stack.api.publishClip(as: author, title: "again")) != nil
                    if !published { try await Task.sleep(for: .milliseconds(200)) }
                }
                #expect(published, "no upload succeeded after the video service came back")
            }
        }
    }
}
