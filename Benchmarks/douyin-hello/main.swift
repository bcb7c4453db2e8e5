// The bare baseline for Scripts/bench.sh: a Hummingbird server answering a
// fixed JSON body, so numbers for the stack can be read against what the
// machine does with no work at all.
import Foundation
import Hummingbird

let port = Int(ProcessInfo.processInfo.environment["HELLO_PORT"] ?? "") ?? 8090
let router = Router()
router.get("/") { _, _ -> Response in
    var headers = HTTPFields()
    headers[.contentType] = "application/json; charset=utf-8"
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: #"{"status_code":0,"status_msg":"hello"}"#)))
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
