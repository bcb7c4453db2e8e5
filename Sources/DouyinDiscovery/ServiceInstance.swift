import DouyinModels
import Foundation

/// One running process of a service, as recorded in the registry.
public struct ServiceInstance: Codable, Sendable, Equatable, Hashable {
    public var id: String
    public var service: ServiceName
    public var host: String
    public var httpPort: Int
    public var rpcPort: Int
    /// A Unix socket the RPC server also listens on, for callers on the same `node`.
    public var rpcSocket: String?
    /// The host name of the machine (or pod) the process runs on.
    public var node: String?
    public var version: String
    /// Unix milliseconds.
    public var startedAt: Int64

    public init(
        id: String, service: ServiceName, host: String, httpPort: Int, rpcPort: Int, rpcSocket: String? = nil, node: String? = nil,
        version: String, startedAt: Int64
    ) {
        self.id = id
        self.service = service
        self.host = host
        self.httpPort = httpPort
        self.rpcPort = rpcPort
        self.rpcSocket = rpcSocket
        self.node = node
        self.version = version
        self.startedAt = startedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, service, host, version, node
        case httpPort = "http_port"
        case rpcPort = "rpc_port"
        case rpcSocket = "rpc_socket"
        case startedAt = "started_at"
    }
}

extension ServiceInstance {
    /// This machine's host name: instances with the same `node` share its file system
    /// (one machine, or one pod with a shared volume), so their Unix sockets are reachable.
    public static let localNode: String = {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "" }
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// The socket to call this instance on from here, if it has one on this node.
    package var localRPCSocket: String? {
        guard let rpcSocket, let node, !node.isEmpty, node == Self.localNode else { return nil }
        return rpcSocket
    }
}
