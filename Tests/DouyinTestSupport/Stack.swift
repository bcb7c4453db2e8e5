import AsyncHTTPClient
import DouyinModels
import DouyinRedis
import Foundation
import Logging
import NIOCore

/// The five executables running against a fresh database and a Redis of their own,
/// as an operator would run them, for end-to-end tests over HTTP.
public final class Stack: @unchecked Sendable {
    public let gatewayURL: String
    public let databaseURL: String
    public let redisPort: Int
    /// What the stack's own checks authenticate with, when its Redis requires it.
    let redisAdmin: RedisConfiguration.Credentials?
    /// The stack's Redis Cluster, when it runs on one.
    public let redisCluster: RedisClusterProcess?
    public let logDirectory: URL
    private let environment: [String: String]
    private let lock = NSLock()
    private var processes: [(name: String, process: Process)] = []
    /// Per service process started: its service and the port of its admin listener.
    /// Which service each started process runs, by its name.
    private var services: [String: ServiceName] = [:]

    /// Starts a stack, runs `body`, and always stops the stack afterwards.
    public static func with<T>(
        environment extra: [String: String] = [:],
        redis: RedisSetup = RedisSetup(),
        _ body: (Stack) async throws -> T
    ) async throws -> T {
        let stack = try await Stack.start(environment: extra, redis: redis)
        do {
            let result = try await body(stack)
            await stack.stop()
            return result
        } catch {
            await stack.stop()
            throw error
        }
    }

    /// How the stack's Redis is started: extra `redis-server` arguments (an ACL, a
    /// password) and the credentials the stack's own checks use with it.
    public struct RedisSetup: Sendable {
        public var arguments: [String]
        public var admin: RedisConfiguration.Credentials?
        /// A three-primary Redis Cluster instead of one server.
        public var cluster: Bool

        public init(arguments: [String] = [], admin: RedisConfiguration.Credentials? = nil, cluster: Bool = false) {
            self.arguments = arguments
            self.admin = admin
            self.cluster = cluster
        }
    }

    public static func start(environment extra: [String: String] = [:], redis: RedisSetup = RedisSetup()) async throws -> Stack {
        let database = try await TestServers.makeDatabase()
        let cluster = redis.cluster ? try await RedisClusterProcess.start() : nil
        let redisPort = try cluster?.nodes[0].port ?? freePort()
        let gatewayPort = try freePort()
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent("douyin-e2e-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("DOUYIN_") }
        environment.merge([
            "DOUYIN_MODE": "dev",
            "DOUYIN_CONFIG_DIR": repositoryRoot.appendingPathComponent("manifest/config").path,
            "DOUYIN_SQL_DIR": repositoryRoot.appendingPathComponent("manifest/sql").path,
            "DOUYIN_POSTGRES_URL": database,
            "DOUYIN_POSTGRES_POOL_SIZE": "4",
            "DOUYIN_REDIS_PORT": String(redisPort),
            "DOUYIN_INTERNAL_SECRET": UUID().uuidString,
            "DOUYIN_REGISTRY_TTL_MS": "3000",
            "DOUYIN_KDF_THREADS": "2",
            "DOUYIN_STORAGE_LOCAL_DIR": logs.appendingPathComponent("media").path,
            // Calls between the processes go over Unix sockets, as in Scripts/dev.sh.
            "DOUYIN_RPC_SOCKET_DIR": logs.path,
        ]) { _, new in new }
        if let ca = TestServers.postgresCA {
            // The test PostgreSQL requires TLS: verify it as a deployment would.
            environment.merge(["DOUYIN_POSTGRES_SSLMODE": "verify-full", "DOUYIN_POSTGRES_SSL_ROOT_CERT": ca]) { _, new in new }
        }
        if let cluster { environment["DOUYIN_REDIS_CLUSTER_NODES"] = cluster.nodeList }
        environment.merge(extra) { _, new in new }
        let stack = Stack(
            gatewayURL: "http://127.0.0.1:\(gatewayPort)", databaseURL: database, redisPort: redisPort, redisAdmin: redis.admin,
            redisCluster: cluster, logDirectory: logs, environment: environment
        )
        do {
            if cluster == nil {
                try stack.launch(
                    name: "redis", executable: URL(fileURLWithPath: "/usr/bin/redis-server"),
                    arguments: ["--bind", "127.0.0.1", "--port", String(redisPort), "--save", "", "--appendonly", "no"] + redis.arguments,
                    environment: environment
                )
            }
            try await stack.waitForRedis()
            for service in [ServiceName.auth, .user, .video, .chat, .gateway] {
                try stack.start(service)
            }
            for service in [ServiceName.auth, .user, .video, .chat] {
                try await stack.waitUntilRegistered(service, count: 1)
            }
            try await stack.waitForGateway()
        } catch {
            await stack.stop()
            throw error
        }
        return stack
    }

    init(
        gatewayURL: String, databaseURL: String, redisPort: Int, redisAdmin: RedisConfiguration.Credentials?,
        redisCluster: RedisClusterProcess?, logDirectory: URL, environment: [String: String]
    ) {
        self.redisAdmin = redisAdmin
        self.redisCluster = redisCluster
        self.gatewayURL = gatewayURL
        self.databaseURL = databaseURL
        self.redisPort = redisPort
        self.logDirectory = logDirectory
        self.environment = environment
    }

    public var api: APIClient { APIClient(baseURL: gatewayURL) }

    /// How the stack's own checks (and tests) reach its Redis, server or cluster.
    public func redisConfiguration(timeout: Duration = .seconds(2)) -> RedisConfiguration {
        redisCluster.map { RedisConfiguration(timeout: timeout, credentials: redisAdmin, clusterNodes: $0.nodes) }
            ?? RedisConfiguration(port: redisPort, timeout: timeout, credentials: redisAdmin)
    }

    public var gatewayPort: Int { URL(string: gatewayURL)!.port! }

    /// The started processes that are no longer running: after hostile input, a crash.
    public func exitedProcesses() -> [String] {
        lock.withLock { processes.filter { !$0.process.isRunning }.map { "\($0.name) (exit \($0.process.terminationStatus))" } }
    }

    /// The process ids of the running processes, by name.
    public func runningProcessIDs() -> [(name: String, pid: Int32)] {
        lock.withLock { processes.filter { $0.process.isRunning }.map { ($0.name, $0.process.processIdentifier) } }
    }

    /// Where the video service keeps media files.
    public var mediaDirectory: URL { logDirectory.appendingPathComponent("media") }

    /// Starts one more process of `service`; its name is `service` or `name`; `extra` adds
    /// to or overrides the stack's environment for this process alone.
    public func start(_ service: ServiceName, name: String? = nil, environment extra: [String: String] = [:]) throws {
        var environment = self.environment.merging(extra) { _, new in new }
        environment["DOUYIN_HTTP_PORT"] = service == .gateway ? String(URL(string: gatewayURL)!.port!) : "0"
        // Any free port, read back from the log: a port picked here and bound later could be
        // taken meanwhile by any process's outgoing connection.
        environment["DOUYIN_ADMIN_PORT"] = "0"
        lock.withLock { services[name ?? service.rawValue] = service }
        try launch(
            name: name ?? service.rawValue,
            executable: Self.binaryDirectory.appendingPathComponent("douyin-\(service.rawValue)"),
            arguments: [],
            environment: environment
        )
    }

    /// SIGKILL: the process gets no chance to deregister.
    public func kill(_ name: String) {
        for process in take(name) {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// SIGTERM, then waits; returns the exit status.
    @discardableResult
    public func terminate(_ name: String) async -> [Int32] {
        var statuses: [Int32] = []
        for process in take(name) {
            process.terminate()
            for _ in 0..<200 where process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
            if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            statuses.append(process.terminationStatus)
        }
        return statuses
    }

    public func stop() async {
        let names = lock.withLock { processes.map(\.name) }
        for name in names.reversed() where name != "redis" { await terminate(name) }
        // A throwaway Redis holds nothing to save.
        kill("redis")
        redisCluster?.stop()
    }

    public func log(of name: String) -> String {
        (try? String(contentsOf: logDirectory.appendingPathComponent("\(name).log"), encoding: .utf8)) ?? ""
    }

    /// Whether `name`'s log shows `text` within `timeout` (log lines are written by a background thread).
    public func logs(_ name: String, contain text: String, within timeout: Duration = .seconds(5)) async -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if log(of: name).contains(text) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return log(of: name).contains(text)
    }

    /// The live registry entries of `service`.
    public func registered(_ service: ServiceName) async throws -> [String] {
        let redis = RedisClient(redisConfiguration())
        defer { Task { await redis.shutdown() } }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return try await redis.send("ZRANGEBYSCORE", "douyin:registry:{\(service.rawValue)}", now, "+inf").array?.compactMap(\.string) ?? []
    }

    /// The admin listener (`/metrics`, `/readyz`, `/healthz`) of every running process of `service`.
    public func adminURLs(of service: ServiceName) async -> [String] {
        let names = lock.withLock {
            let running = Set(processes.filter { $0.process.isRunning }.map(\.name))
            return services.filter { $0.value == service && running.contains($0.key) }.keys.sorted()
        }
        var urls: [String] = []
        for name in names {
            if let url = await adminURL(of: name) { urls.append(url) }
        }
        return urls
    }

    /// The admin listener of the process called `name` (`service`, or the name it was started
    /// under), from the address it logged when listening; nil if it has not within `timeout`.
    public func adminURL(of name: String, within timeout: Duration = .seconds(10)) async -> String? {
        let end = ContinuousClock.now + timeout
        while true {
            if let port = Self.adminPort(loggedIn: log(of: name)) { return "http://127.0.0.1:\(port)" }
            guard ContinuousClock.now < end else { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The port of the last "admin listener" line of a process's JSON log.
    static func adminPort(loggedIn log: String) -> Int? {
        for line in log.split(separator: "\n").reversed() where line.contains(#""msg":"admin listener"#) {
            guard let start = line.range(of: #""address":""#) else { continue }
            let address = line[start.upperBound...].prefix { $0 != "\"" }
            if let port = address.split(separator: ":").last.flatMap({ Int($0) }) { return port }
        }
        return nil
    }

    /// The sum of a Prometheus counter over the series whose labels contain `matching`, on every instance of `service`.
    public func counter(_ name: String, matching: String, on service: ServiceName) async throws -> Double {
        var total = 0.0
        for url in await adminURLs(of: service) {
            let text = try await APIClient(baseURL: url).get("/metrics").text
            for line in text.split(separator: "\n") where line.hasPrefix(name + "{") && line.contains(matching) {
                total += line.split(separator: " ").last.flatMap { Double($0) } ?? 0
            }
        }
        return total
    }

    public func waitUntilRegistered(_ service: ServiceName, count: Int, timeout: Duration = .seconds(60)) async throws {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if (try? await registered(service).count) == count { return }
            try checkAlive()
            try await Task.sleep(for: .milliseconds(50))
        }
        throw StackError.notReady("\(service.rawValue) never had \(count) registered instance(s)\n\(log(of: service.rawValue).suffix(2000))")
    }

    // MARK: - Processes

    private func launch(name: String, executable: URL, arguments: [String], environment: [String: String]) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = Self.repositoryRoot
        let logURL = logDirectory.appendingPathComponent("\(name).log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let output = try FileHandle(forWritingTo: logURL)
        output.seekToEndOfFile()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        lock.withLock { processes.append((name, process)) }
    }

    private func take(_ name: String) -> [Process] {
        lock.withLock {
            let matching = processes.filter { $0.name == name }.map(\.process)
            processes.removeAll { $0.name == name }
            return matching
        }
    }

    private func checkAlive() throws {
        let dead = lock.withLock { processes.filter { !$0.process.isRunning } }
        if let first = dead.first {
            throw StackError.crashed("\(first.name) exited with \(first.process.terminationStatus)\n\(log(of: first.name).suffix(3000))")
        }
    }

    private func waitForRedis() async throws {
        for _ in 0..<200 {
            let redis = RedisClient(redisConfiguration(timeout: .milliseconds(200)))
            let pong = try? await redis.send("PING")
            await redis.shutdown()
            if pong == .status("PONG") { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw StackError.notReady("redis-server did not start")
    }

    private func waitForGateway() async throws {
        for _ in 0..<600 {
            if let reply = try? await api.get("/healthz"), reply.status == 200 { return }
            try checkAlive()
            try await Task.sleep(for: .milliseconds(50))
        }
        throw StackError.notReady("gateway did not answer /healthz\n\(log(of: "gateway").suffix(2000))")
    }

    // MARK: - Locations

    public static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }()

    /// Where `swift build` put the executables (the test bundle sits beside them).
    public static let binaryDirectory: URL = {
        if let configured = ProcessInfo.processInfo.environment["DOUYIN_TEST_BIN_DIR"] { return URL(fileURLWithPath: configured) }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }()

    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else { throw StackError.notReady("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

public enum StackError: Error, CustomStringConvertible {
    case notReady(String)
    case crashed(String)

    public var description: String {
        switch self {
        case .notReady(let message): "stack not ready: \(message)"
        case .crashed(let message): "stack process crashed: \(message)"
        }
    }
}
