import Hummingbird
import HummingbirdCore
import HummingbirdTesting
import NIOPosix
import Testing

/// Handlers run on the event loop of the connection that carried the request,
/// also after they suspend, so a cached read never crosses threads.
@Suite struct EventLoopBoundChannelTests {
    /// Answers "loop" when the handler runs on an event loop thread, before and after a suspension.
    func app(_ server: HTTPServerBuilder) -> some ApplicationProtocol {
        let router = Router()
        router.get("/where") { _, _ -> String in
            let before = MultiThreadedEventLoopGroup.currentEventLoop != nil
            try await Task.sleep(for: .milliseconds(1))
            let after = MultiThreadedEventLoopGroup.currentEventLoop != nil
            return "\(before ? "loop" : "pool")-\(after ? "loop" : "pool")"
        }
        return Application(router: router, server: server)
    }

    @Test func handlersRunOnTheConnectionsEventLoop() async throws {
        try await app(.onConnectionEventLoop { HTTP1Channel(responder: $0) }).test(.live) { client in
            for _ in 0..<5 {
                try await client.execute(uri: "/where", method: .get) { response in
                    #expect(String(buffer: response.body) == "loop-loop")
                }
            }
        }
    }

    /// The contrast that makes the test above mean something: Hummingbird's own
    /// channel runs handlers on Swift's global executor.
    @Test func plainHTTP1RunsHandlersOffTheEventLoop() async throws {
        try await app(.http1()).test(.live) { client in
            try await client.execute(uri: "/where", method: .get) { response in
                #expect(String(buffer: response.body) == "pool-pool")
            }
        }
    }
}
