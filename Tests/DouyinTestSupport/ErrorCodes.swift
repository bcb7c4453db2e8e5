import DouyinModels

/// The `DouyinError` code `body` fails with; nil when it succeeds or fails some other way.
public func errorCode(_ body: () async throws -> Void) async -> ErrorCode? {
    do {
        try await body()
        return nil
    } catch {
        return (error as? DouyinError)?.code
    }
}
