import DouyinModels
import Foundation
import Testing

/// `manifest/docs/openapi.yaml` and the route table describe the same API.
@Suite struct APIDescriptionTests {
    static let document: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("manifest/docs/openapi.yaml"), encoding: .utf8)) ?? ""
    }()

    /// Path -> methods, read from the document's `paths:` section (two-space path keys,
    /// four-space method keys, as the document is written).
    static func operations(in document: String) -> [String: Set<String>] {
        var operations: [String: Set<String>] = [:]
        var inPaths = false
        var path: String?
        let methods: Set<String> = ["get", "post", "put", "delete", "patch", "head", "options", "trace"]
        for line in document.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" "), !line.isEmpty { inPaths = line == "paths:" }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
                operations[path!] = []
            } else if let current = path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let key = line.trimmingCharacters(in: .whitespaces).dropLast()
                if methods.contains(String(key)) { operations[current]?.insert(key.uppercased()) }
            }
        }
        return operations
    }

    @Test func everyEndpointIsDescribedWithItsMethodAndNothingElse() {
        let described = Self.operations(in: Self.document)
        #expect(!described.isEmpty, "manifest/docs/openapi.yaml not found or has no paths")
        var expected = Dictionary(uniqueKeysWithValues: Endpoint.all.map { ($0.path, Set([$0.method.rawValue])) })
        expected[Endpoint.mediaPrefix + "{key}"] = ["GET"]
        expected[Endpoint.descriptionPath] = ["GET"]
        expected["/healthz"] = ["GET"]
        #expect(described == expected)
    }

    @Test func theTableReaderSeesWhatItShould() {
        let sample = "openapi: 3.1.0\npaths:\n  /a/:\n    get:\n      x: 1\n    post:\n  /b/:\n    parameters: []\n    put:\ncomponents:\n  /c/:\n    get:\n"
        #expect(Self.operations(in: sample) == ["/a/": ["GET", "POST"], "/b/": ["PUT"]])
    }
}
