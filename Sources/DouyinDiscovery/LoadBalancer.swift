import DouyinModels
import DouyinObservability
import NIOConcurrencyHelpers

/// Chooses an instance of one service for each request or call.
///
/// Power of two choices: of two random healthy instances, the one with fewer
/// requests in flight. An instance whose connection fails is ejected for a
/// backoff that doubles on repeated failures (1 s up to 16 s) and resets on
/// success, so a dead process costs one failed connect, not one per request.
public final class LoadBalancer: Sendable {
    public let service: ServiceName
    private let instances: @Sendable () async -> [ServiceInstance]
    private let state = NIOLockedValueBox<[String: Health]>([:])

    struct Health {
        var inFlight = 0
        var ejectedUntil: ContinuousClock.Instant?
        var failures = 0
    }

    public convenience init(service: ServiceName, discovery: ServiceDiscovery) {
        self.init(service: service) { await discovery.instances(of: service) }
    }

    /// - Parameter instances: where the current instances come from (the registry, or a fixed list in tests).
    public init(service: ServiceName, instances: @escaping @Sendable () async -> [ServiceInstance]) {
        self.service = service
        self.instances = instances
    }

    public func pick(excluding excluded: Set<String> = []) async -> ServiceInstance? {
        let instances = await self.instances()
        let now = ContinuousClock.now
        return state.withLockedValue { health in
            let candidates = instances.filter { instance in
                guard !excluded.contains(instance.id) else { return false }
                guard let until = health[instance.id]?.ejectedUntil else { return true }
                return until <= now
            }
            // Not the system generator: that is a getrandom(2) call per pick.
            var random = IdentifierRandom.Generator()
            guard !candidates.isEmpty else { return nil }
            guard candidates.count > 1 else { return candidates[0] }
            // Two distinct positions, drawn once each: no loop, whatever the list holds.
            let firstIndex = Int.random(in: 0..<candidates.count, using: &random)
            let offset = Int.random(in: 1..<candidates.count, using: &random)
            let (first, second) = (candidates[firstIndex], candidates[(firstIndex + offset) % candidates.count])
            let firstLoad = health[first.id]?.inFlight ?? 0
            let secondLoad = health[second.id]?.inFlight ?? 0
            return firstLoad <= secondLoad ? first : second
        }
    }

    public func begin(_ id: String) {
        state.withLockedValue { $0[id, default: Health()].inFlight += 1 }
    }

    public func end(_ id: String) {
        state.withLockedValue { $0[id, default: Health()].inFlight -= 1 }
    }

    public func succeeded(_ id: String) {
        state.withLockedValue { health in
            guard health[id]?.failures != 0 else { return }
            health[id]?.failures = 0
            health[id]?.ejectedUntil = nil
        }
    }

    public func eject(_ id: String) {
        state.withLockedValue { health in
            var entry = health[id, default: Health()]
            let backoff = Duration.seconds(1 << min(entry.failures, 4))
            entry.failures += 1
            entry.ejectedUntil = .now + backoff
            health[id] = entry
        }
    }
}
