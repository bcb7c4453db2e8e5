import DouyinIdentity
import DouyinModels
import Hummingbird
import Logging

/// Per-request state every service handler sees: the merged parameters and the requester.
public struct DouyinRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Query and form-body parameters merged by API.md 1.1.
    public var params = RequestParameters()
    public var identity = Identity.anonymous
    /// The peer's address (the gateway's, behind it; a proxy's or the client's, at the gateway).
    public let remoteAddress: String?
    /// The client's address by the process's `ClientAddressRule` (set by `RequestScopeMiddleware`).
    public internal(set) var clientAddress: String?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress?.ipAddress
        self.clientAddress = remoteAddress
    }

    /// Uploads are streamed by their handler; buffered bodies are bounded by `ParameterMiddleware`.
    public var maxUploadSize: Int { .max }

    /// The requester, for endpoints that require a token.
    public func requireUser() throws(DouyinError) -> UserID {
        switch identity {
        case .user(let id): return id
        case .anonymous: throw DouyinError(.tokenMissing)
        case .rejected(let error): throw error
        }
    }

    /// The requester or nil, for endpoints where a token is optional.
    public func optionalUser() throws(DouyinError) -> UserID? {
        switch identity {
        case .user(let id): return id
        case .anonymous: return nil
        case .rejected(let error): throw error
        }
    }
}
