import DouyinNIO
import HummingbirdCore
import Logging
import NIOCore

/// Serves each HTTP connection's request loop on that connection's own event loop.
///
/// Without it every request crosses threads twice: the event loop wakes a Swift
/// concurrency thread to run the handler, which hands the response back to the event
/// loop. On a small machine those wake-ups, not the handlers, were the largest cost of
/// a cached read. Handlers still never block: database, Redis and KDF work is awaited
/// on their own thread pools, so the event loop is free while it runs.
struct EventLoopBoundChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        let executor = EventLoopTaskExecutor(value.channel.eventLoop)
        await withTaskExecutorPreference(executor) {
            await base.handle(value: value, logger: logger)
        }
    }
}

extension HTTPServerBuilder {
    /// An HTTP server whose connections are each served on their own event loop.
    /// - Parameter channel: builds the connection setup from the router's responder,
    ///   e.g. `{ HTTP1Channel(responder: $0) }`.
    public static func onConnectionEventLoop<Base: ServerChildChannel>(
        _ channel: @escaping @Sendable (@escaping HTTPChannelHandler.Responder) throws -> Base
    ) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in EventLoopBoundChannel(base: try channel(responder)) }
    }
}
