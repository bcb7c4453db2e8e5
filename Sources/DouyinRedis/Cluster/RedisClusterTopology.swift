import NIOConcurrencyHelpers

/// What a client knows of a cluster: its seeds and the slot map last read, refreshed
/// when a node redirects or goes away (one refresh at a time; callers share it).
final class RedisClusterTopology: Sendable {
    let seeds: [RedisNode]
    private let state = NIOLockedValueBox(State())

    private struct State {
        var map: RedisSlotMap?
        var refresh: Task<RedisSlotMap, any Error>?
    }

    init(seeds: [RedisNode]) {
        self.seeds = seeds
    }

    /// The current map, read first if there is none.
    func map(reading read: @escaping @Sendable (RedisNode) async throws -> RedisValue) async throws -> RedisSlotMap {
        if let map = state.withLockedValue({ $0.map }) { return map }
        return try await refresh(reading: read)
    }

    /// Reads the map again from a node that answers (the known ones, then the seeds).
    func refresh(reading read: @escaping @Sendable (RedisNode) async throws -> RedisValue) async throws -> RedisSlotMap {
        let task = state.withLockedValue { state -> Task<RedisSlotMap, any Error> in
            if let running = state.refresh { return running }
            let candidates = (state.map?.nodes ?? []) + seeds.filter { !(state.map?.nodes ?? []).contains($0) }
            let task = Task { [state = self.state] () throws -> RedisSlotMap in
                defer { state.withLockedValue { $0.refresh = nil } }
                var failures: [String] = []
                for node in candidates {
                    do {
                        let map = try RedisSlotMap(clusterSlots: try await read(node), askedNode: node)
                        state.withLockedValue { $0.map = map }
                        return map
                    } catch let error as RedisError {
                        // Credentials the cluster refuses are refused by every node.
                        if case .authentication = error { throw error }
                        if case .reply(let message) = error, message.contains("cluster support disabled") {
                            throw RedisError.topology("\(node) is a single server, not a cluster node")
                        }
                        failures.append("\(node): \(error)")
                    } catch {
                        failures.append("\(node): \(error)")
                    }
                }
                throw RedisError.connection("no cluster node answered CLUSTER SLOTS (\(failures.joined(separator: "; ")))")
            }
            state.refresh = task
            return task
        }
        return try await task.value
    }

    /// The map as it stands, without asking anyone.
    var current: RedisSlotMap? { state.withLockedValue { $0.map } }

    /// What a `MOVED` said, kept at once; the rest of the map is read again in the
    /// background (a resharding moves many slots).
    func moved(_ slot: Int, to node: RedisNode, reading read: @escaping @Sendable (RedisNode) async throws -> RedisValue) {
        state.withLockedValue { $0.map?.assign(slot, to: node) }
        Task { _ = try? await refresh(reading: read) }
    }
}
