import DouyinModels
import Foundation

/// The OTLP/HTTP JSON body of an `ExportTraceServiceRequest`
/// (opentelemetry-proto `collector/trace/v1`, JSON mapping: lowerCamelCase
/// fields, hex trace and span ids, 64-bit integers as decimal strings).
enum OTLPEncoding {
    static func exportRequest(_ spans: [Span], resource: [(key: String, value: String)]) throws -> Data {
        let request = ExportRequest(resourceSpans: [
            ResourceSpans(
                resource: Resource(attributes: resource.map { KeyValue(key: $0.key, value: .init(.string($0.value))) }),
                scopeSpans: [ScopeSpans(scope: Scope(name: "douyin", version: DouyinVersion.current), spans: spans.map(SpanJSON.init))]
            )
        ])
        return try JSONEncoder().encode(request)
    }

    struct ExportRequest: Encodable {
        var resourceSpans: [ResourceSpans]
    }

    struct ResourceSpans: Encodable {
        var resource: Resource
        var scopeSpans: [ScopeSpans]
    }

    struct Resource: Encodable {
        var attributes: [KeyValue]
    }

    struct ScopeSpans: Encodable {
        var scope: Scope
        var spans: [SpanJSON]
    }

    struct Scope: Encodable {
        var name: String
        var version: String
    }

    struct SpanJSON: Encodable {
        var traceId: String
        var spanId: String
        var parentSpanId: String?
        var name: String
        var kind: Int
        var startTimeUnixNano: String
        var endTimeUnixNano: String
        var attributes: [KeyValue]
        var status: Status

        init(_ span: Span) {
            traceId = span.traceID
            spanId = span.spanID
            parentSpanId = span.parentSpanID
            name = span.name
            kind = span.kind.rawValue
            startTimeUnixNano = String(span.startNanoseconds)
            endTimeUnixNano = String(span.endNanoseconds)
            attributes = span.attributes.map { KeyValue(key: $0.key, value: AnyValue($0.value)) }
            status = span.error.map { Status(code: Status.error, message: $0) } ?? Status(code: Status.unset, message: nil)
        }
    }

    struct Status: Encodable {
        static let unset = 0
        static let error = 2
        var code: Int
        var message: String?
    }

    struct KeyValue: Encodable {
        var key: String
        var value: AnyValue
    }

    struct AnyValue: Encodable {
        var stringValue: String?
        var intValue: String?

        init(_ value: Span.Value) {
            switch value {
            case .string(let text): stringValue = text
            case .int(let number): intValue = String(number)
            }
        }
    }
}
