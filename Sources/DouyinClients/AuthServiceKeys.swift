import DouyinIdentity
import DouyinModels
import DouyinRPC
import Logging

extension AuthKeys {
    /// Keys fetched from the auth service (`AuthRPC.PublicKeys`), the binding every
    /// process that verifies tokens uses.
    public static func fromAuthService(_ auth: RPCClient, maxTokens: Int, logger: Logger) -> AuthKeys {
        AuthKeys(logger: logger, maxTokens: maxTokens) { try await auth.call(AuthRPC.PublicKeys.self, Empty()).keys }
    }
}
