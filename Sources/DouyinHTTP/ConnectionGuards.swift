import NIOCore

/// The HTTP handlers every server of the system puts around its own: idle and stalled
/// connections closed first (it must see every request and answer), `CONNECT` refused
/// last (after the handlers that keep pipelined answers in order).
public enum ConnectionGuards {
    public static func handlers(idleTimeout: Duration, around own: [any RemovableChannelHandler] = []) -> [any RemovableChannelHandler] {
        [IdleConnectionTimeout(after: idleTimeout)] + own + [TunnelRequestRefusal()]
    }
}
