import DouyinHTTP
import DouyinModels
import Testing

/// The search endpoints' parameters: a keyword that means something, and offset paging.
struct SearchQueryTests {
    func query(_ values: [String: String]) throws(DouyinError) -> SearchQuery {
        try SearchQuery(RequestParameters(sources: [values.map { ($0.key, $0.value) }]))
    }

    @Test func keywordsAreTrimmedAndBounded() throws {
        #expect(try query(["keyword": "  cat\u{3000}"]).keyword == "cat", "surrounding (also ideographic) spaces go")
        #expect(try query(["keyword": "猫 咪"]).keyword == "猫 咪")
        #expect(try query(["keyword": String(repeating: "x", count: 64)]).keyword.count == 64)
        for bad in ["", "   ", "\u{3000}\t", String(repeating: "x", count: 65)] {
            #expect(throws: DouyinError.self, "\(bad.debugDescription)") { try query(["keyword": bad]) }
        }
        #expect(throws: DouyinError.self) { try query([:]) }
        #expect(throws: DouyinError.self) { try query(["keyword": "cat", "limit": "0"]) }
        #expect(throws: DouyinError.self) { try query(["keyword": "cat", "cursor": "%%%"]) }
    }

    /// The keyword is matched literally: its own `%`, `_` and `\` are not wildcards.
    @Test func theContainsPatternEscapesWildcards() {
        #expect(SearchQuery(keyword: "50%_off\\").containsPattern == "%50\\%\\_off\\\\%")
        #expect(SearchQuery(keyword: "cat").containsPattern == "%cat%")
    }

    /// Pages by the count served; "" exactly when nothing follows.
    @Test func pagesWalkEveryResultOnce() throws {
        let results = Array(1...7)
        var seen: [Int] = []
        var cursor: String?
        repeat {
            var values = ["keyword": "x", "limit": "3"]
            values["cursor"] = cursor
            let page = try query(values)
            let rows = Array(results.dropFirst(page.offset).prefix(page.fetchLimit))
            let (items, next) = page.finish(rows)
            seen += items
            cursor = next.isEmpty ? nil : next
        } while cursor != nil
        #expect(seen == results)
        #expect(try query(["keyword": "x", "limit": "7"]).finish(results + [8]).nextCursor != "")
        #expect(try query(["keyword": "x", "limit": "7"]).finish(results).nextCursor == "")
    }
}
