import DouyinModels

/// `keyword`, `limit` and `cursor` of the search endpoints (`/douyin/search/...`).
///
/// Results are ranked (similarity, then popularity), not ordered by a key, so the
/// cursor carries how many results were served: walking every page with no concurrent
/// change yields each result once, as API.md 8.1 asks of lists.
public struct SearchQuery: Sendable, Equatable {
    /// Code points a keyword may have (after surrounding spaces are dropped).
    public static let keywordLength = 1...64
    public let keyword: String
    public let page: Page

    public init(keyword: String, page: Page = Page()) {
        self.keyword = keyword
        self.page = page
    }

    public init(_ params: RequestParameters) throws(DouyinError) {
        let keyword = String(try params.string("keyword", codePoints: 0...Int.max).trimmingWhitespace)
        guard !keyword.isEmpty else { throw DouyinError.invalid("keyword", "must not be blank") }
        guard Self.keywordLength.contains(keyword.unicodeScalars.count) else {
            throw DouyinError.invalid("keyword", "must be 1 to \(Self.keywordLength.upperBound) characters")
        }
        let page = try Page(params)
        guard (page.after ?? 0) >= 0 else { throw DouyinError.invalid("cursor", "malformed cursor") }
        self.init(keyword: keyword, page: page)
    }

    /// Results already served: where this page starts.
    public var offset: Int { Int(page.after ?? 0) }

    /// Results to fetch from `offset`: the page and one more, which says whether more follow.
    public var fetchLimit: Int { page.limit + 1 }

    /// `keyword` as a `LIKE` pattern matching it anywhere, its own `%`, `_` and `\` taken literally.
    public var containsPattern: String {
        var pattern = "%"
        for character in keyword {
            if character == "%" || character == "_" || character == "\\" { pattern.append("\\") }
            pattern.append(character)
        }
        return pattern + "%"
    }

    /// Cuts `rows` (`fetchLimit` of them from `offset`) to the page; "" exactly when nothing follows.
    public func finish<Row>(_ rows: [Row]) -> (items: [Row], nextCursor: String) {
        let (items, next) = page.finish(Array(rows.enumerated())) { Int64(offset + $0.offset + 1) }
        return (items.map(\.element), next)
    }
}

extension StringProtocol {
    /// Without leading and trailing white space (any Unicode white space, as a blank keyword has).
    var trimmingWhitespace: Substring {
        let scalars = Substring(self).unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return Substring(scalars[first...last])
    }
}
