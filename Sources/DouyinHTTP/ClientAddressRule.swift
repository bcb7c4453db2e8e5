import DouyinModels
import Hummingbird

/// Where a process learns its client's address, for per-address limits and logs.
public enum ClientAddressRule: Sendable {
    /// At the edge (the gateway): the peer's address, or the client's as trusted proxies report it.
    case edge(TrustedProxies)
    /// Behind the gateway: the address the gateway resolved, in `x-douyin-client-address`
    /// (the gateway drops that header from what clients send).
    case behindGateway

    public func clientAddress(of request: Request, peer: String?) -> String? {
        clientAddress(headers: request.headers, peer: peer)
    }

    public func clientAddress(headers: HTTPFields, peer: String?) -> String? {
        switch self {
        case .edge(let proxies):
            guard !proxies.isEmpty else { return peer }
            return proxies.clientAddress(peer: peer, forwardedFor: headers[values: .forwardedFor])
        case .behindGateway:
            return headers[.douyinClientAddress] ?? peer
        }
    }
}
