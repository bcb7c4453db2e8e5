import DouyinDiscovery
import DouyinModels
import DouyinObservability
import DouyinRPC
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

enum EchoRPC: RPCMethod {
    struct Request: Codable, Sendable {
        var text: String
        var sleepMilliseconds: Int = 0
    }
    struct Response: Codable, Sendable {
        var text: String
        var remainingMilliseconds: UInt32?
    }
    static let name = "test.echo"
    static let isIdempotent = true
}

enum FailRPC: RPCMethod {
    typealias Request = Empty
    typealias Response = Empty
    static let name = "test.fail"
    static let isIdempotent = false
}

@Suite struct RPCFrameTests {
    @Test func frameRoundTrips() throws {
        let frame = RPCFrame(
            kind: .error, streamID: 7, deadlineMilliseconds: 1500, errorCode: 30001, method: "user.users",
            traceparent: "00-abc-def-01", requestID: "r1", payload: ByteBuffer(string: "payload ✓")
        )
        var buffer = ByteBuffer()
        frame.write(to: &buffer)
        #expect(buffer.readInteger(as: UInt32.self) == UInt32(buffer.readableBytes))
        #expect(try RPCFrame(reading: &buffer) == frame)
    }

    @Test func truncatedFramesAreRefused() throws {
        var buffer = ByteBuffer(bytes: [1, 1, 0])
        #expect(throws: RPCFrameError.self) { try RPCFrame(reading: &buffer) }
        var wrongVersion = ByteBuffer(bytes: [9, 1])
        #expect(throws: RPCFrameError.unsupportedVersion(9)) { try RPCFrame(reading: &wrongVersion) }
    }
}

@Suite struct RPCTests {
    /// A server with the echo and fail methods, and a client that knows only it.
    func makePair(timeout: Duration = .seconds(5), connections: Int = 1, extraPorts: [Int] = []) async throws -> (RPCServer, RPCClient) {
        let server = RPCServer(logger: .init(label: "test"))
        server.register(EchoRPC.self) { request in
            if request.sleepMilliseconds > 0 { try await Task.sleep(for: .milliseconds(request.sleepMilliseconds)) }
            return .init(text: request.text, remainingMilliseconds: RPCCallContext.current?.remainingMilliseconds())
        }
        server.register(FailRPC.self) { _ in throw DouyinError(.userNotFound, "no such user 5") }
        let port = try await server.bind(host: "127.0.0.1", port: 0)
        let instances = ([port] + extraPorts).enumerated().map { index, port in
            ServiceInstance(id: "i\(index)-\(port)", service: .user, host: "127.0.0.1", httpPort: 0, rpcPort: port, version: "t", startedAt: 0)
        }
        let balancer = LoadBalancer(service: .user) { instances }
        return (server, RPCClient(service: .user, balancer: balancer, defaultTimeout: timeout, connectionsPerInstance: connections))
    }

    @Test func callsAndTypedErrors() async throws {
        let (server, client) = try await makePair()
        #expect(try await client.call(EchoRPC.self, .init(text: "hi ✓")).text == "hi ✓")
        await #expect(throws: DouyinError(.userNotFound, "no such user 5")) { try await client.call(FailRPC.self, Empty()) }
        await client.shutdown()
        await server.close()
    }

    @Test func deadlineExceededAndPropagated() async throws {
        let (server, client) = try await makePair(timeout: .milliseconds(300))
        await #expect(throws: DouyinError(.deadlineExceeded)) {
            try await client.call(EchoRPC.self, .init(text: "slow", sleepMilliseconds: 2000))
        }
        await client.shutdown()
        await server.close()
        // Deadlines long enough for a loaded machine: what is checked is that they travel.
        let (patientServer, patient) = try await makePair(timeout: .seconds(20))
        // The callee sees the caller's remaining time, never more.
        let remaining = try await patient.call(EchoRPC.self, .init(text: "x")).remainingMilliseconds
        #expect(remaining != nil && remaining! <= 20_000)
        // A caller with less time left passes that on.
        let shorter = try await RPCCallContext.$current.withValue(RPCCallContext(deadline: .now + .seconds(5))) {
            try await patient.call(EchoRPC.self, .init(text: "x")).remainingMilliseconds
        }
        #expect(shorter != nil && shorter! <= 5_000)
        await patient.shutdown()
        await patientServer.close()
    }

    /// Past the caller's deadline the callee stops working: its task is cancelled.
    @Test func calleeWorkIsCancelledAtTheDeadline() async throws {
        let server = RPCServer(logger: .init(label: "test"))
        let cancelled = NIOLockedValueBox(false)
        let started = NIOLockedValueBox(false)
        server.register(EchoRPC.self) { request in
            if request.sleepMilliseconds > 0 { started.withLockedValue { $0 = true } }
            do {
                try await Task.sleep(for: .milliseconds(request.sleepMilliseconds))
            } catch {
                cancelled.withLockedValue { $0 = true }
                throw error
            }
            return .init(text: request.text)
        }
        let port = try await server.bind(host: "127.0.0.1", port: 0)
        let instance = ServiceInstance(id: "only", service: .user, host: "127.0.0.1", httpPort: 0, rpcPort: port, version: "t", startedAt: 0)
        let client = RPCClient(service: .user, balancer: LoadBalancer(service: .user) { [instance] }, defaultTimeout: .seconds(10))
        // Connected first: on a loaded machine a connect can outlast a short deadline, and
        // then the call is never sent at all.
        _ = try await client.call(EchoRPC.self, .init(text: "warm-up"))
        // A call that arrives after its deadline is refused without running, which proves
        // nothing here: on a loaded machine, try again until the callee has started.
        for _ in 0..<5 where !started.withLockedValue({ $0 }) {
            await #expect(throws: DouyinError(.deadlineExceeded)) {
                try await RPCCallContext.$current.withValue(RPCCallContext(deadline: .now + .milliseconds(500))) {
                    try await client.call(EchoRPC.self, .init(text: "slow", sleepMilliseconds: 60_000))
                }
            }
        }
        try #require(started.withLockedValue { $0 }, "the slow call never reached the callee before its deadline")
        // Generous: on a loaded machine the callee's timer may fire late, but it must fire.
        for _ in 0..<500 where !cancelled.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(20)) }
        #expect(cancelled.withLockedValue { $0 })
        await client.shutdown()
        await server.close()
    }

    /// Calls on one connection share one timer: a short deadline behind a long one still ends on time.
    @Test func shortDeadlineBehindLongOneEndsOnTime() async throws {
        let (server, client) = try await makePair(timeout: .seconds(30))
        _ = try await client.call(EchoRPC.self, .init(text: "warm-up"))
        let long = Task {
            try await RPCCallContext.$current.withValue(RPCCallContext(deadline: .now + .seconds(4))) {
                try await client.call(EchoRPC.self, .init(text: "long", sleepMilliseconds: 60_000))
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: DouyinError(.deadlineExceeded)) {
            try await RPCCallContext.$current.withValue(RPCCallContext(deadline: .now + .milliseconds(200))) {
                try await client.call(EchoRPC.self, .init(text: "short", sleepMilliseconds: 60_000))
            }
        }
        // Well before the long call's 4 s: the short deadline armed its own, earlier wake-up.
        #expect(clock.now - start < .seconds(3))
        await #expect(throws: DouyinError(.deadlineExceeded)) { try await long.value }
        await client.shutdown()
        await server.close()
    }

    /// Many calls share one connection: if they were serialized, the barrier would never fill.
    @Test func concurrentCallsAreMultiplexed() async throws {
        let server = RPCServer(logger: .init(label: "test"))
        let running = NIOLockedValueBox(0)
        server.register(EchoRPC.self) { request in
            running.withLockedValue { $0 += 1 }
            while running.withLockedValue({ $0 }) < 20 { try await Task.sleep(for: .milliseconds(5)) }
            return .init(text: request.text)
        }
        let port = try await server.bind(host: "127.0.0.1", port: 0)
        let instance = ServiceInstance(id: "only", service: .user, host: "127.0.0.1", httpPort: 0, rpcPort: port, version: "t", startedAt: 0)
        let client = RPCClient(service: .user, balancer: LoadBalancer(service: .user) { [instance] }, defaultTimeout: .seconds(5), connectionsPerInstance: 1)
        let texts = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<20 { group.addTask { try await client.call(EchoRPC.self, .init(text: "\(index)")).text } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(texts.count == 20)
        await client.shutdown()
        await server.close()
    }

    @Test func unreachableInstanceIsSkipped() async throws {
        let deadPort = try await unusedPort()
        let (server, client) = try await makePair(extraPorts: [deadPort])
        for index in 0..<10 {
            #expect(try await client.call(EchoRPC.self, .init(text: "\(index)")).text == "\(index)")
        }
        await client.shutdown()
        await server.close()
    }

    @Test func noInstanceIsServiceUnavailable() async throws {
        let client = RPCClient(service: .user, balancer: LoadBalancer(service: .user) { [] })
        await #expect(throws: DouyinError(.serviceUnavailable, "user service unavailable")) {
            try await client.call(EchoRPC.self, .init(text: "x"))
        }
    }

    /// The callee dies with the call in flight: the caller gets a typed failure, not a hang.
    @Test func calleeGoneMidCall() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.pipeline.addHandler(CloseOnReadHandler())
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let instance = ServiceInstance(
            id: "dying", service: .user, host: "127.0.0.1", httpPort: 0, rpcPort: server.localAddress!.port!, version: "t", startedAt: 0
        )
        let client = RPCClient(service: .user, balancer: LoadBalancer(service: .user) { [instance] }, defaultTimeout: .seconds(5))
        await #expect(throws: DouyinError.self) { try await client.call(FailRPC.self, Empty()) }
        await client.shutdown()
        try await server.close()
    }

    func unusedPort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress!.port!
        try await channel.close()
        return port
    }
}

final class CloseOnReadHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.close(promise: nil)
    }
}
