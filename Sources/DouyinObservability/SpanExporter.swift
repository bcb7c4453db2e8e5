import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOFoundationCompat
import ServiceLifecycle

/// Sends finished spans to an OTLP/HTTP collector (`<endpoint>/v1/traces`, JSON) in batches.
///
/// Recording never waits: spans go to a bounded queue, and when the collector
/// is slow or gone the queue drops what does not fit (counted in
/// `douyin_trace_spans_dropped_total`) rather than holding requests up.
/// Runs as a service: it flushes every `interval` and once more on shutdown,
/// after the HTTP and RPC servers have drained.
public final class SpanExporter: Service, Sendable {
    public struct Configuration: Sendable {
        /// The collector's base URL, e.g. `http://otel-collector:4318`.
        public var endpoint: String
        /// Share of new traces recorded, 0...1; callers' sampling decisions are kept.
        public var sampleRatio: Double
        public var interval: Duration
        public var maxQueuedSpans: Int
        public var maxBatchSize: Int

        public init(endpoint: String, sampleRatio: Double = 1, interval: Duration = .seconds(5), maxQueuedSpans: Int = 8192, maxBatchSize: Int = 512) {
            self.endpoint = endpoint
            self.sampleRatio = sampleRatio
            self.interval = interval
            self.maxQueuedSpans = maxQueuedSpans
            self.maxBatchSize = maxBatchSize
        }
    }

    public let configuration: Configuration
    private let url: String
    private let resource: [(key: String, value: String)]
    private let queue = NIOLockedValueBox<[Span]>([])
    private let failing = NIOLockedValueBox(false)
    private let logger: Logger

    /// - Parameter resource: attributes naming this process (`service.name`, `service.instance.id`, ...).
    public init(_ configuration: Configuration, resource: [(key: String, value: String)], logger: Logger) {
        self.configuration = configuration
        self.url = configuration.endpoint.hasSuffix("/") ? "\(configuration.endpoint)v1/traces" : "\(configuration.endpoint)/v1/traces"
        self.resource = resource
        self.logger = logger
    }

    /// Whether a trace started here is recorded.
    public func samplesNewTrace() -> Bool {
        configuration.sampleRatio >= 1 || Double(IdentifierRandom.next() >> 11) * 0x1p-53 < configuration.sampleRatio
    }

    public func record(_ span: Span) {
        let accepted = queue.withLockedValue { queue in
            guard queue.count < configuration.maxQueuedSpans else { return false }
            queue.append(span)
            return true
        }
        if !accepted { Self.dropped(1, reason: "queue_full") }
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.configuration.interval) }
            await flush()
        }
        await flush()
    }

    /// Sends everything queued so far.
    public func flush() async {
        while true {
            let batch = queue.withLockedValue { queue in
                let batch = Array(queue.prefix(configuration.maxBatchSize))
                queue.removeFirst(batch.count)
                return batch
            }
            guard !batch.isEmpty else { return }
            await send(batch)
        }
    }

    private func send(_ batch: [Span]) async {
        do {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try OTLPEncoding.exportRequest(batch, resource: resource)))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
            _ = try? await response.body.collect(upTo: 64 * 1024)
            guard (200..<300).contains(response.status.code) else {
                throw ExportFailure(status: Int(response.status.code))
            }
            Counter(label: "douyin_trace_spans_exported_total").increment(by: batch.count)
            if exchangeFailing(false) {
                logger.info("span export recovered", metadata: ["endpoint": "\(url)"])
            }
        } catch {
            Self.dropped(batch.count, reason: "export_failed")
            // One warning per outage, not one per batch.
            if !exchangeFailing(true) {
                logger.warning("span export failed; dropping spans until the collector answers", metadata: ["endpoint": "\(url)", "error": "\(error)"])
            }
        }
    }

    /// Sets the outage flag; returns what it was.
    private func exchangeFailing(_ new: Bool) -> Bool {
        failing.withLockedValue { failing in
            let old = failing
            failing = new
            return old
        }
    }

    private static func dropped(_ count: Int, reason: String) {
        Counter(label: "douyin_trace_spans_dropped_total", dimensions: [("reason", reason)]).increment(by: count)
    }

    struct ExportFailure: Error, CustomStringConvertible {
        let status: Int
        var description: String { "collector answered HTTP \(status)" }
    }
}
