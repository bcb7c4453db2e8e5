import DouyinRedis
import Foundation

/// A `redis-server` of a test's own, for setups the shared test Redis does not have
/// (a password, ACL users).
public final class RedisServerProcess: @unchecked Sendable {
    public let port: Int
    private let process: Process

    /// The ACL the services run with in production: their own user, only the commands
    /// they send, only their keys and channels. The default user keeps `adminPassword`.
    public static func aclArguments(servicePassword: String, adminPassword: String) -> [String] {
        [
            "--requirepass", adminPassword,
            "--user", "douyin", "on", ">\(servicePassword)", "~douyin:*", "&douyin:*", "-@all",
            "+get", "+mget", "+set", "+incr", "+decr", "+del", "+pexpire", "+pttl", "+zadd", "+zrem",
            "+zrangebyscore", "+zremrangebyscore", "+publish", "+subscribe", "+unsubscribe", "+ping",
        ]
    }

    /// Starts one and waits until it answers `admin`'s PING.
    public static func start(arguments: [String], admin: RedisConfiguration.Credentials?) async throws -> RedisServerProcess {
        let port = try Stack.freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        process.arguments = ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no"] + arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let server = RedisServerProcess(port: port, process: process)
        for _ in 0..<100 {
            let client = RedisClient(RedisConfiguration(port: port, timeout: .milliseconds(200), credentials: admin))
            let pong = try? await client.send("PING")
            await client.shutdown()
            if pong != nil { return server }
            try await Task.sleep(for: .milliseconds(50))
        }
        server.stop()
        throw StackError.notReady("redis-server \(arguments) did not start")
    }

    private init(port: Int, process: Process) {
        self.port = port
        self.process = process
    }

    public func configuration(_ credentials: RedisConfiguration.Credentials?) -> RedisConfiguration {
        RedisConfiguration(port: port, timeout: .seconds(2), credentials: credentials)
    }

    /// Kills the server; its port is free when this returns. (Not `waitUntilExit`, which
    /// here never returned for a child that had exited.)
    public func stop() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        for _ in 0..<200 {
            guard canConnect() else { return }
            usleep(10_000)
        }
    }

    private func canConnect() -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
