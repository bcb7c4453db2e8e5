import DouyinModels
import DouyinRedis
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// A local, always-available view of the registry.
///
/// Lookups read memory only. The view is refreshed by registry events (pub/sub),
/// by a short poll, and on demand when a service has no known instance. If Redis
/// is unreachable the last known instances stay in use.
public final class ServiceDiscovery: Service, Sendable {
    private let registry: ServiceRegistry
    private let redisConfiguration: RedisConfiguration
    private let pollInterval: Duration
    private let logger: Logger
    private let cache = NIOLockedValueBox<[ServiceName: Entry]>([:])

    struct Entry {
        var instances: [ServiceInstance]
        var fetchedAt: ContinuousClock.Instant
    }

    public init(registry: ServiceRegistry, redisConfiguration: RedisConfiguration, pollInterval: Duration = .seconds(1), logger: Logger) {
        self.registry = registry
        self.redisConfiguration = redisConfiguration
        self.pollInterval = pollInterval
        self.logger = logger
    }

    /// The known instances of `service`, fetching first if none is known and the last fetch is not fresh.
    public func instances(of service: ServiceName) async -> [ServiceInstance] {
        let entry = cache.withLockedValue { $0[service] }
        if let entry, !entry.instances.isEmpty || entry.fetchedAt.duration(to: .now) < .milliseconds(200) {
            return entry.instances
        }
        return await refresh(service)
    }

    /// How many instances of each service this process knows of (for `/metrics`).
    public var knownInstanceCounts: [ServiceName: Int] {
        cache.withLockedValue { $0.mapValues(\.instances.count) }
    }

    @discardableResult
    func refresh(_ service: ServiceName) async -> [ServiceInstance] {
        do {
            let instances = try await registry.instances(of: service)
            cache.withLockedValue { $0[service] = Entry(instances: instances, fetchedAt: .now) }
            return instances
        } catch {
            logger.debug("registry unreachable; keeping last known instances", metadata: ["error": "\(error)"])
            return cache.withLockedValue { cache in
                cache[service]?.fetchedAt = .now
                return cache[service]?.instances ?? []
            }
        }
    }

    public func run() async throws {
        let subscriber = RedisSubscriber(redisConfiguration, channels: [ServiceRegistry.eventsChannel], logger: logger)
        subscriber.start()
        defer { subscriber.stop() }
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await message in subscriber.messages {
                        if let service = ServiceName(rawValue: String(decoding: message.payload, as: UTF8.self)) {
                            await self.refresh(service)
                        }
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: self.pollInterval)
                        let watched = self.cache.withLockedValue { Array($0.keys) }
                        for service in watched { await self.refresh(service) }
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
    }
}
