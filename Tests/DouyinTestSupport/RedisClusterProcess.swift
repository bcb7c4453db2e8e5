import DouyinRedis
import Foundation

/// A Redis Cluster of a test's own: three primaries (`redis-server --cluster-enabled yes`),
/// each with `replicas` replicas, the slots spread by `redis-cli --cluster create`, as an
/// operator would set one up.
public final class RedisClusterProcess: @unchecked Sendable {
    public let nodes: [RedisNode]
    private let servers: [RedisServerProcess]
    private let directory: URL

    public static func start(masters: Int = 3, replicas: Int = 0) async throws -> RedisClusterProcess {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-cluster-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var servers: [RedisServerProcess] = []
        do {
            for index in 0..<masters * (1 + replicas) {
                let bus = try Stack.freePort()
                servers.append(try await RedisServerProcess.start(arguments: [
                    "--cluster-enabled", "yes", "--cluster-port", String(bus),
                    "--cluster-config-file", directory.appendingPathComponent("nodes-\(index).conf").path,
                    "--cluster-node-timeout", "2000", "--dir", directory.path,
                    // Replicas sync at once (the default waits five seconds for more replicas).
                    "--repl-diskless-sync-delay", "0",
                ], admin: nil))
            }
            let cluster = RedisClusterProcess(nodes: servers.map { RedisNode(host: "127.0.0.1", port: $0.port) }, servers: servers, directory: directory)
            try await cluster.create(replicas: replicas)
            return cluster
        } catch {
            for server in servers { server.stop() }
            throw error
        }
    }

    private init(nodes: [RedisNode], servers: [RedisServerProcess], directory: URL) {
        self.nodes = nodes
        self.servers = servers
        self.directory = directory
    }

    public var configuration: RedisConfiguration {
        RedisConfiguration(timeout: .seconds(2), clusterNodes: nodes)
    }

    /// `DOUYIN_REDIS_CLUSTER_NODES`.
    public var nodeList: String { nodes.map(\.description).joined(separator: ",") }

    public func stop() {
        for server in servers { server.stop() }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Kills one node (SIGKILL): it goes away without a word, as a crashed machine does.
    public func kill(_ node: RedisNode) {
        servers.first { $0.port == node.port }?.stop()
    }

    /// A plain client of one node (no redirections), for administration.
    public func admin(_ node: RedisNode, _ body: (RedisClient) async throws -> Void) async throws {
        let client = RedisClient(RedisConfiguration(host: node.host, port: node.port, timeout: .seconds(5)))
        do {
            try await body(client)
            await client.shutdown()
        } catch {
            await client.shutdown()
            throw error
        }
    }

    public func nodeID(_ node: RedisNode) async throws -> String {
        var id = ""
        try await admin(node) { id = try await $0.send("CLUSTER", "MYID").string ?? "" }
        return id
    }

    /// Which primary serves `slot` now, by the view of the first node that answers (among `asking`).
    public func owner(of slot: Int, asking: [RedisNode]? = nil) async throws -> RedisNode? {
        for node in asking ?? nodes {
            var ranges: [RedisValue]?
            try? await admin(node) { ranges = try await $0.send("CLUSTER", "SLOTS").array }
            guard let ranges else { continue }
            for range in ranges {
                guard let parts = range.array, let first = parts[0].integer, let last = parts[1].integer,
                    let primary = parts[2].array, let port = primary[1].integer, first <= slot, slot <= last
                else { continue }
                return nodes.first { $0.port == Int(port) }
            }
            return nil
        }
        return nil
    }

    /// Moves `slot` and its keys from `source` to `target` the way `redis-cli --cluster reshard`
    /// does: IMPORTING and MIGRATING, the keys in batches with MIGRATE, then the new owner told
    /// to every node. Commands sent meanwhile meet ASK, then MOVED.
    public func migrate(slot: Int, from source: RedisNode, to target: RedisNode, pause: Duration = .milliseconds(20)) async throws {
        let (sourceID, targetID) = (try await nodeID(source), try await nodeID(target))
        try await admin(target) { _ = try await $0.send("CLUSTER", "SETSLOT", slot, "IMPORTING", sourceID) }
        try await admin(source) { client in
            _ = try await client.send("CLUSTER", "SETSLOT", slot, "MIGRATING", targetID)
            while true {
                let keys = try await client.send("CLUSTER", "GETKEYSINSLOT", slot, 10).array?.compactMap(\.string) ?? []
                if keys.isEmpty { break }
                _ = try await client.send(["MIGRATE", target.host, target.port, "", 0, 5000, "KEYS"] + keys.map { $0 as any RedisArgument })
                try await Task.sleep(for: pause)
            }
        }
        for node in [target, source] + nodes.filter({ $0 != source && $0 != target }) {
            try await admin(node) { _ = try await $0.send("CLUSTER", "SETSLOT", slot, "NODE", targetID) }
        }
    }

    private func create(replicas: Int) async throws {
        let cli = Process()
        cli.executableURL = URL(fileURLWithPath: "/usr/bin/redis-cli")
        cli.arguments = ["--cluster", "create"] + nodes.map(\.description) + ["--cluster-replicas", String(replicas), "--cluster-yes"]
        let output = directory.appendingPathComponent("create.log")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        cli.standardOutput = handle
        cli.standardError = handle
        try cli.run()
        for _ in 0..<600 where cli.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        try handle.close()
        let said = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        guard !cli.isRunning, cli.terminationStatus == 0 else {
            if cli.isRunning { cli.terminate() }
            throw StackError.notReady("redis-cli --cluster create failed: \(said.suffix(1000))")
        }
        // Every node must agree that all slots are served before the cluster is used.
        for _ in 0..<200 {
            var ready = true
            for node in nodes {
                try await admin(node) { client in
                    let info = try await client.send("CLUSTER", "INFO").string ?? ""
                    if !info.contains("cluster_state:ok") || !info.contains("cluster_slots_ok:16384") { ready = false }
                    // A replica that never synced would not take over from its primary.
                    let replication = try await client.send("INFO", "replication").string ?? ""
                    if replication.contains("role:slave"), !replication.contains("master_link_status:up") { ready = false }
                }
            }
            if ready { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw StackError.notReady("the Redis Cluster did not become ready")
    }
}
