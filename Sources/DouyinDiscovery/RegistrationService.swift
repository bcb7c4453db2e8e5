import DouyinModels
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// The ports a process listens on, known only once its servers have bound.
public final class BoundPorts: Sendable {
    private struct State {
        var http: Int?
        var rpc: Int?
        var waiters: [UInt64: CheckedContinuation<(Int, Int), any Error>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    public func setHTTP(_ port: Int) { update { $0.http = port } }
    public func setRPC(_ port: Int) { update { $0.rpc = port } }

    /// Waits until both ports are known; throws `CancellationError` if cancelled first
    /// (a server that failed to bind never sets its port).
    public func both() async throws -> (Int, Int) {
        let id = state.withLockedValue { s in
            defer { s.nextWaiter += 1 }
            return s.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let ready: (Int, Int)? = state.withLockedValue { s in
                    if let http = s.http, let rpc = s.rpc { return (http, rpc) }
                    s.waiters[id] = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
                // Cancelled before the waiter was recorded: the handler found nothing to resume.
                if Task.isCancelled { cancel(id) }
            }
        } onCancel: {
            cancel(id)
        }
    }

    private func cancel(_ id: UInt64) {
        state.withLockedValue { $0.waiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
    }

    private func update(_ change: (inout State) -> Void) {
        let (ready, waiters) = state.withLockedValue { s -> ((Int, Int)?, [CheckedContinuation<(Int, Int), any Error>]) in
            change(&s)
            guard let http = s.http, let rpc = s.rpc else { return (nil, []) }
            defer { s.waiters = [:] }
            return ((http, rpc), Array(s.waiters.values))
        }
        if let ready { for waiter in waiters { waiter.resume(returning: ready) } }
    }
}

/// Keeps this process in the registry while it runs.
///
/// Registers once both ports are bound, heartbeats every ttl/3, and on graceful
/// shutdown deregisters first, so callers stop choosing this instance before
/// it stops accepting work. A failed heartbeat (Redis briefly away) is retried
/// at the next beat; the record lives for a whole ttl.
public struct RegistrationService: Service {
    let registry: ServiceRegistry
    let ports: BoundPorts
    let ttl: Duration
    let makeInstance: @Sendable (_ httpPort: Int, _ rpcPort: Int) -> ServiceInstance
    let logger: Logger
    /// Waits between heartbeats.
    let sleep: @Sendable (Duration) async throws -> Void

    /// - Parameter sleep: how to wait between heartbeats; tests pass one they release themselves.
    public init(
        registry: ServiceRegistry, ports: BoundPorts, ttl: Duration, logger: Logger,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        makeInstance: @escaping @Sendable (_ httpPort: Int, _ rpcPort: Int) -> ServiceInstance
    ) {
        self.registry = registry
        self.ports = ports
        self.ttl = ttl
        self.logger = logger
        self.sleep = sleep
        self.makeInstance = makeInstance
    }

    public func run() async throws {
        // Stopped (or a server failed to bind) before both ports were known: nothing to register.
        guard let (http, rpc) = try? await cancelWhenGracefulShutdown({ try await ports.both() }) else { return }
        let instance = makeInstance(http, rpc)
        await cancelWhenGracefulShutdown {
            var announce = true
            while !Task.isCancelled {
                do {
                    try await registry.register(instance, ttl: ttl, announce: announce)
                    if announce {
                        logger.info("registered", metadata: ["instance": "\(instance.id)", "http_port": "\(http)", "rpc_port": "\(rpc)"])
                    }
                    announce = false
                } catch {
                    logger.warning("registry heartbeat failed", metadata: ["error": "\(error)"])
                    announce = true
                }
                try? await sleep(announce ? .milliseconds(500) : ttl / 3)
            }
        }
        do {
            try await registry.deregister(instance)
            logger.info("deregistered", metadata: ["instance": "\(instance.id)"])
        } catch {
            logger.warning("deregister failed; the record expires with its ttl", metadata: ["error": "\(error)"])
        }
    }
}
