import DouyinModels

/// One running process of a service, as recorded in the registry.
public struct ServiceInstance: Codable, Sendable, Equatable, Hashable {
    public var id: String
    public var service: ServiceName
    public var host: String
    public var httpPort: Int
    public var rpcPort: Int
    public var version: String
    /// Unix milliseconds.
    public var startedAt: Int64

    public init(id: String, service: ServiceName, host: String, httpPort: Int, rpcPort: Int, version: String, startedAt: Int64) {
        self.id = id
        self.service = service
        self.host = host
        self.httpPort = httpPort
        self.rpcPort = rpcPort
        self.version = version
        self.startedAt = startedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, service, host, version
        case httpPort = "http_port"
        case rpcPort = "rpc_port"
        case startedAt = "started_at"
    }
}
