public struct RedisConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Connect and per-command timeout.
    public var timeout: Duration
    /// Sent with `AUTH` on every new connection when set; the username selects an ACL user.
    public var credentials: Credentials?
    /// Seed nodes of a Redis Cluster; empty for one server at `host`:`port`. The client
    /// learns the rest of the cluster from whichever seed answers.
    public var clusterNodes: [RedisNode]

    public struct Credentials: Sendable, CustomStringConvertible {
        public var username: String?
        public var password: String

        public init(username: String? = nil, password: String) {
            self.username = username
            self.password = password
        }

        /// Never the password: configurations end up in logs.
        public var description: String { "Credentials(username: \(username ?? "default"), password: <hidden>)" }

        /// `AUTH [username] password`.
        var command: [any RedisArgument] { ["AUTH"] + (username.map { [$0] } ?? []) + [password] }
    }

    public init(
        host: String = "127.0.0.1", port: Int = 6379, timeout: Duration = .seconds(2), credentials: Credentials? = nil,
        clusterNodes: [RedisNode] = []
    ) {
        self.host = host
        self.port = port
        self.timeout = timeout
        self.credentials = credentials
        self.clusterNodes = clusterNodes
    }

    public var isCluster: Bool { !clusterNodes.isEmpty }

    /// Where to connect first: the server, or the cluster's seeds.
    public var seeds: [RedisNode] { isCluster ? clusterNodes : [RedisNode(host: host, port: port)] }
}
