import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOConcurrencyHelpers

/// A WebSocket client for tests: frames received are queued; frames to send are handed in.
public final class TestSocket: Sendable {
    private let inbox = NIOLockedValueBox<[String]>([])
    private let outgoing: AsyncStream<String>.Continuation
    private let connection = NIOLockedValueBox<Task<Void, any Error>?>(nil)

    /// Connects and returns once the upgrade succeeded; throws if it was refused.
    public static func open(_ url: String, headers: [(String, String)] = []) async throws -> TestSocket {
        let (outgoingStream, outgoing) = AsyncStream.makeStream(of: String.self)
        let (opened, openedContinuation) = AsyncStream.makeStream(of: Bool.self)
        let socket = TestSocket(outgoing: outgoing)
        var configuration = WebSocketClientConfiguration()
        for (name, value) in headers { configuration.additionalHeaders[HTTPField.Name(name)!] = value }
        let inbox = socket.inbox
        let task = Task {
            defer {
                openedContinuation.yield(false)
                openedContinuation.finish()
            }
            try await WebSocketClient.connect(url: url, configuration: configuration, logger: Logger(label: "test-socket")) { inbound, outbound, _ in
                openedContinuation.yield(true)
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do {
                            for try await message in inbound.messages(maxSize: 1 << 20) {
                                if case .text(let text) = message { inbox.withLockedValue { $0.append(text) } }
                            }
                        } catch {}
                    }
                    group.addTask {
                        for await text in outgoingStream {
                            do { try await outbound.write(.text(text)) } catch { break }
                        }
                        try? await outbound.close(.normalClosure, reason: nil)
                    }
                    await group.next()
                    group.cancelAll()
                }
            }
        }
        socket.connection.withLockedValue { $0 = task }
        for await ok in opened {
            guard ok else { break }
            return socket
        }
        _ = try? await task.value
        throw Refused()
    }

    private init(outgoing: AsyncStream<String>.Continuation) {
        self.outgoing = outgoing
    }

    public struct Refused: Error {}

    public func send(_ text: String) {
        outgoing.yield(text)
    }

    /// The next frame, or nil when none arrives within `timeout`.
    public func next(within timeout: Duration = .seconds(2)) async -> String? {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            let frame = inbox.withLockedValue { $0.isEmpty ? nil : $0.removeFirst() }
            if let frame { return frame }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// Whether the server ended the connection within `timeout`.
    public func closedByServer(within timeout: Duration = .seconds(5)) async -> Bool {
        guard let task = connection.withLockedValue({ $0 }) else { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                _ = try? await task.value
                return true
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    public func close() async {
        outgoing.finish()
        _ = try? await connection.withLockedValue({ $0 })?.value
    }
}
