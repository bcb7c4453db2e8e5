import DouyinDiscovery
import DouyinModels
import DouyinRedis
import DouyinTestSupport
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// Serialized: readers remove expired members by their own clock, so a test driving a
/// clock of its own would see its records removed by a reader on the real one.
@Suite(.enabled(if: TestServers.enabled, TestServers.skipReason), .serialized)
struct RegistryTests {
    func instance(_ id: String = UUID().uuidString, service: ServiceName = .chat) -> ServiceInstance {
        ServiceInstance(id: id, service: service, host: "127.0.0.1", httpPort: 1, rpcPort: 2, version: "t", startedAt: 0)
    }

    /// Readers drop an instance whose expiry passed on the registry's clock, before Redis
    /// expires its key: driven by a clock the test moves, not by waiting. The ttl is long,
    /// so Redis's own expiry (on the real clock) never comes first on a slow machine.
    @Test func expiredInstanceDisappears() async throws {
        let redis = RedisClient(try TestServers.redisConfiguration())
        let clock = DrivenWallClock(start: ServiceRegistry.wallClockMilliseconds())
        let registry = ServiceRegistry(redis: redis, now: clock.now)
        let record = instance()
        try await registry.register(record, ttl: .seconds(60))
        clock.advance(by: .milliseconds(59_999))
        #expect(try await registry.instances(of: .chat).contains(record))
        clock.advance(by: .milliseconds(2))
        #expect(try await !registry.instances(of: .chat).contains(record))
        await redis.shutdown()
    }

    /// Every ttl/3 a heartbeat moves the expiry on, so a live instance never expires; one
    /// that stops beating is gone a ttl after its last beat. (A ttl of 30 s: each beat's key
    /// also expires in Redis on the real clock, which must not come first on a slow machine.)
    @Test func heartbeatsKeepAnInstanceListedUntilTheyStop() async throws {
        let redis = RedisClient(try TestServers.redisConfiguration())
        let clock = DrivenWallClock(start: ServiceRegistry.wallClockMilliseconds())
        let registry = ServiceRegistry(redis: redis, now: clock.now)
        let sleeps = HeldSleeps()
        let ports = BoundPorts()
        ports.setHTTP(1)
        ports.setRPC(2)
        let record = instance()
        let registration = RegistrationService(
            registry: registry, ports: ports, ttl: .seconds(30), logger: Logger(label: "test"), sleep: sleeps.sleep
        ) { _, _ in record }
        let group = ServiceGroup(configuration: .init(services: [.init(service: registration)], logger: Logger(label: "test")))
        let running = Task { try await group.run() }

        #expect(await sleeps.nextSleep() == .seconds(10), "the next beat is a third of the ttl away")
        for _ in 0..<6 {
            clock.advance(by: .seconds(10))
            sleeps.release()
            #expect(await sleeps.nextSleep() == .seconds(10))
            #expect(try await registry.instances(of: .chat).contains(record), "a minute on, still listed")
        }
        clock.advance(by: .milliseconds(30_001))
        #expect(try await !registry.instances(of: .chat).contains(record), "no beat for a whole ttl: expired")

        await group.triggerGracefulShutdown()
        try await running.value
        await redis.shutdown()
    }

    @Test func gracefulShutdownDeregisters() async throws {
        let redis = RedisClient(try TestServers.redisConfiguration())
        let registry = ServiceRegistry(redis: redis)
        let ports = BoundPorts()
        let record = instance()
        let registration = RegistrationService(registry: registry, ports: ports, ttl: .seconds(30), logger: Logger(label: "test")) { _, _ in record }
        let group = ServiceGroup(configuration: .init(services: [.init(service: registration)], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        ports.setHTTP(1)
        ports.setRPC(2)
        var registered = false
        for _ in 0..<100 where !registered {
            registered = try await registry.instances(of: .chat).contains(record)
            if !registered { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(registered)
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(try await !registry.instances(of: .chat).contains(record))
        await redis.shutdown()
    }

    /// A server that never binds (its port taken) must not keep the process from stopping:
    /// registration ends on shutdown without ever registering.
    @Test(.timeLimit(.minutes(1))) func shutdownBeforePortsAreBoundEndsRegistration() async throws {
        let redis = RedisClient(try TestServers.redisConfiguration())
        let registry = ServiceRegistry(redis: redis)
        let record = instance()
        let registration = RegistrationService(registry: registry, ports: BoundPorts(), ttl: .seconds(30), logger: Logger(label: "test")) { _, _ in record }
        var configuration = ServiceGroupConfiguration(services: [.init(service: registration)], logger: Logger(label: "test"))
        configuration.maximumGracefulShutdownDuration = .seconds(30)
        let group = ServiceGroup(configuration: configuration)
        let running = Task { try await group.run() }
        try await Task.sleep(for: .milliseconds(100))
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(try await !registry.instances(of: .chat).contains(record))
        await redis.shutdown()
    }

    @Test func waitingForPortsEndsWhenCancelled() async throws {
        let ports = BoundPorts()
        let waiting = Task { try await ports.both() }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        // Ports set later still reach a new waiter.
        ports.setHTTP(1)
        ports.setRPC(2)
        #expect(try await ports.both() == (1, 2))
    }

    @Test func discoverySeesNewInstancesAndKeepsThemWhenRedisIsGone() async throws {
        let configuration = try TestServers.redisConfiguration(timeout: .milliseconds(300))
        let redis = RedisClient(configuration)
        let registry = ServiceRegistry(redis: redis)
        let record = instance(service: .video)
        try await registry.register(record, ttl: .seconds(30))
        let discovery = ServiceDiscovery(registry: registry, redisConfiguration: configuration, logger: Logger(label: "test"))
        #expect(await discovery.instances(of: .video).contains(record))

        // A registry that cannot be reached leaves the last known view in place.
        let unreachable = RedisClient(RedisConfiguration(host: "127.0.0.1", port: 1, timeout: .milliseconds(100)))
        let offline = ServiceDiscovery(registry: ServiceRegistry(redis: unreachable), redisConfiguration: unreachable.configuration, logger: Logger(label: "test"))
        #expect(await offline.instances(of: .video).isEmpty)
        try await registry.deregister(record)
        await redis.shutdown()
        await unreachable.shutdown()
    }
}
