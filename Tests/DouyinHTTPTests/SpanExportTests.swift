import DouyinHTTP
import DouyinObservability
import DouyinTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@Suite struct SpanExportTests {
    let resource: [(key: String, value: String)] = [("service.name", "douyin-test"), ("service.instance.id", "test-1")]

    func exporter(_ collector: OTLPCollector, sampleRatio: Double = 1, maxQueuedSpans: Int = 100) -> SpanExporter {
        SpanExporter(
            .init(endpoint: collector.url, sampleRatio: sampleRatio, maxQueuedSpans: maxQueuedSpans, maxBatchSize: 2),
            resource: resource, logger: Logger(label: "test")
        )
    }

    func span(_ id: String, parent: String? = nil, error: String? = nil) -> Span {
        Span(
            traceID: "0af7651916cd43dd8448eb211c80319c", spanID: id, parentSpanID: parent, name: "GET /douyin/feed/",
            kind: .server, startNanoseconds: 1_700_000_000_000_000_000, endNanoseconds: 1_700_000_000_002_000_000,
            attributes: [("http.response.status_code", .int(200)), ("url.path", .string("/douyin/feed/"))], error: error
        )
    }

    @Test func sendsSpansAsOTLPJSONInBatches() async throws {
        let collector = try await OTLPCollector()
        let exporter = exporter(collector)
        exporter.record(span("b7ad6b7169203331"))
        exporter.record(span("b7ad6b7169203332", parent: "b7ad6b7169203331"))
        exporter.record(span("b7ad6b7169203333", error: "HTTP 503"))
        await exporter.flush()
        let spans = collector.received
        #expect(collector.requestCount == 2, "a batch holds at most two spans here")
        try #require(spans.count == 3)
        #expect(spans.allSatisfy { $0.service == "douyin-test" && $0.traceID == "0af7651916cd43dd8448eb211c80319c" && $0.kind == 2 })
        #expect(spans[0].parentSpanID == nil && spans[1].parentSpanID == "b7ad6b7169203331")
        #expect(spans[0].start == 1_700_000_000_000_000_000 && spans[0].end == 1_700_000_000_002_000_000)
        #expect(spans[0].attributes == ["http.response.status_code": "200", "url.path": "/douyin/feed/"])
        #expect(spans.map(\.statusCode) == [0, 0, 2])
    }

    @Test func aFullQueueDropsRatherThanWaits() async throws {
        let collector = try await OTLPCollector()
        let exporter = exporter(collector, maxQueuedSpans: 2)
        for index in 0..<5 { exporter.record(span("b7ad6b716920333\(index)")) }
        await exporter.flush()
        #expect(collector.received.map(\.spanID) == ["b7ad6b7169203330", "b7ad6b7169203331"])
    }

    @Test func anOutageLosesOnlyItsOwnSpans() async throws {
        let collector = try await OTLPCollector()
        let exporter = exporter(collector)
        collector.status.withLockedValue { $0 = .serviceUnavailable }
        exporter.record(span("b7ad6b7169203331"))
        await exporter.flush()
        collector.status.withLockedValue { $0 = .ok }
        exporter.record(span("b7ad6b7169203332"))
        await exporter.flush()
        #expect(collector.requestCount == 2)
        #expect(collector.received.map(\.spanID) == ["b7ad6b7169203332"])
    }

    /// The HTTP layer records one server span per request, child of the caller's span,
    /// and honours the caller's sampling flag and the configured ratio for new traces.
    @Test func requestsBecomeSpansUnderTheCallersSampling() async throws {
        let collector = try await OTLPCollector()
        for (ratio, header, expected) in [
            (1.0, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", 1),
            (1.0, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00", 0),
            (0.0, nil, 0),
            (1.0, nil, 1),
        ] as [(Double, String?, Int)] {
            let exporter = exporter(collector, sampleRatio: ratio)
            let router = Router(context: DouyinRequestContext.self)
            router.add(middleware: RequestScopeMiddleware(timeout: .seconds(5), accessLog: .disabled, spans: exporter))
            router.get("/douyin/feed/") { _, _ in "ok" }
            let before = collector.received.count
            try await Application(router: router).test(.router) { client in
                var headers = HTTPFields()
                if let header { headers[HTTPField.Name("traceparent")!] = header }
                _ = try await client.execute(uri: "/douyin/feed/?latest_time=1", method: .get, headers: headers)
            }
            await exporter.flush()
            let new = collector.received.dropFirst(before)
            #expect(new.count == expected, "ratio \(ratio), traceparent \(header ?? "none")")
            if let span = new.first {
                #expect(span.name == "GET /douyin/feed/" && span.attributes["http.response.status_code"] == "200")
                if header != nil { #expect(span.parentSpanID == "b7ad6b7169203331" && span.traceID == "0af7651916cd43dd8448eb211c80319c") }
            }
        }
    }
}
