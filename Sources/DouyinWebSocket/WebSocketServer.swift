import DouyinHTTP
import DouyinHost
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import NIOCore

/// The settings every WebSocket endpoint shares: the gateway's proxy and the chat service's sockets.
public struct WebSocketSettings: Sendable, Equatable {
    /// The largest message, either way (`chat.max_frame_bytes`).
    public var maxFrameBytes: Int
    /// How often a socket is pinged; a peer that does not answer is closed (`chat.ping_seconds`).
    public var pingInterval: Duration

    public init(maxFrameBytes: Int = 16 * 1024, pingInterval: Duration = .seconds(30)) {
        self.maxFrameBytes = maxFrameBytes
        self.pingInterval = pingInterval
    }

    /// Read once at start; a value that does not parse, or is not positive, is refused there.
    public init(_ settings: Settings) throws {
        let defaults = WebSocketSettings()
        self.init(
            maxFrameBytes: try settings.int("chat.max_frame_bytes", default: defaults.maxFrameBytes, in: 1...(16 << 20)),
            pingInterval: .seconds(try settings.int("chat.ping_seconds", default: 30, in: 1...86_400))
        )
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with WebSocket upgrades answered by `sockets`, each connection served on
    /// its own event loop and guarded against malformed requests, `CONNECT` and idle connections: the one server setup
    /// of every process that speaks WebSocket.
    /// - Parameters:
    ///   - idleTimeout: how long a connection may send nothing before it is closed (`IdleConnectionTimeout`).
    ///   - additionalChannelHandlers: handlers for the HTTP side (e.g. answering `Expect: 100-continue`).
    ///   - wrap: wraps the upgrading channel, e.g. in a gate that checks a token before the upgrade.
    public static func webSocketUpgrading<Context: WebSocketRequestContext, Wrapped: ServerChildChannel>(
        sockets: Router<Context>,
        settings: WebSocketSettings,
        idleTimeout: Duration,
        additionalChannelHandlers: @escaping @Sendable () -> [any RemovableChannelHandler] = { [] },
        wrap: @escaping @Sendable (HTTP1WebSocketUpgradeChannel) -> Wrapped
    ) -> HTTPServerBuilder where Context.Source == ApplicationRequestContextSource {
        .onConnectionEventLoop { [socketResponder = sockets.buildResponder()] responder in
            MalformedRequestGuard(wrap(HTTP1WebSocketUpgradeChannel(
                responder: responder,
                webSocketResponder: socketResponder,
                configuration: .init(maxFrameSize: settings.maxFrameBytes, autoPing: .enabled(timePeriod: settings.pingInterval)),
                additionalChannelHandlers: { ConnectionGuards.handlers(idleTimeout: idleTimeout, around: additionalChannelHandlers()) }
            )), idleTimeout: idleTimeout)
        }
    }

    /// The same, the upgrading channel unwrapped.
    public static func webSocketUpgrading<Context: WebSocketRequestContext>(
        sockets: Router<Context>, settings: WebSocketSettings, idleTimeout: Duration
    ) -> HTTPServerBuilder where Context.Source == ApplicationRequestContextSource {
        webSocketUpgrading(sockets: sockets, settings: settings, idleTimeout: idleTimeout) { $0 }
    }
}
