/// A `Range` request header against a file of `size` bytes (API.md 7, RFC 9110 14.2).
enum ByteRange: Equatable {
    case whole
    case part(ClosedRange<Int>)
    case unsatisfiable

    /// Only single `bytes=` ranges are honoured; anything else (other units,
    /// several ranges, nonsense) gets the whole file, as the RFC allows.
    static func parse(_ header: String?, size: Int) -> ByteRange {
        guard let header, header.hasPrefix("bytes="), size >= 0 else { return .whole }
        let spec = header.dropFirst("bytes=".count)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .whole }
        let first = spec[spec.startIndex..<dash]
        let last = spec[spec.index(after: dash)...]
        func number(_ text: Substring) -> Int? {
            guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return Int(text)
        }
        if first.isEmpty {
            // The last N bytes.
            guard let count = number(last) else { return .whole }
            guard count > 0, size > 0 else { return .unsatisfiable }
            return .part(max(0, size - count)...(size - 1))
        }
        guard let start = number(first) else { return .whole }
        guard start < size else { return .unsatisfiable }
        guard !last.isEmpty else { return .part(start...(size - 1)) }
        guard let end = number(last), end >= start else { return .whole }
        return .part(start...min(end, size - 1))
    }
}
