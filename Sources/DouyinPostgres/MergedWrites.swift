/// The writes of one group as the statements that run them: the rows of writes over
/// arrays (`PostgresClient.write(row:of:)`) with the same SQL become one statement over
/// all of them, in the place of the first; every other write stays as it came.
///
/// Much of a small write's cost is per statement (executor start-up, opening the
/// tables' indexes, one result each in this process), not per row: in pgbench, ten likes
/// as two statements (likes, unlikes) cost about a quarter less CPU than ten statements,
/// and as one (`FavoriteStore.setLikes`) about a sixth less again.
struct MergedWrites {
    private(set) var statements: [PostgresQuery] = []
    /// The writes each statement stands for (positions in the group), in order.
    private var members: [[Int]] = []

    init(_ writes: [PostgresBatchItem]) {
        var merging: [String: Int] = [:]
        var rows: [[[String]]] = []
        for (index, write) in writes.enumerated() {
            if let row = write.arrayRow {
                if let at = merging[write.query.sql] {
                    members[at].append(index)
                    rows[at].append(row)
                    continue
                }
                merging[write.query.sql] = statements.count
            }
            statements.append(write.query)
            members.append([index])
            rows.append(write.arrayRow.map { [$0] } ?? [])
        }
        for at in statements.indices where members[at].count > 1 {
            statements[at].parameters = rows[at][0].indices.map { column in Self.arrayLiteral(rows[at].map { $0[column] }) }
        }
    }

    /// Each write's own result, in group order: row i of a merged statement is its i-th write's.
    func split(_ results: [Result<PostgresResult, any Error>]) -> [Result<PostgresResult, any Error>] {
        var split = [Result<PostgresResult, any Error>?](repeating: nil, count: members.reduce(0) { $0 + $1.count })
        for (result, writes) in zip(results, members) {
            guard writes.count > 1 else {
                split[writes[0]] = result
                continue
            }
            let rows = result.flatMap { merged in
                merged.rows.count == writes.count
                    ? .success(merged.rows)
                    : .failure(PostgresError.decoding(type: "rows of merged writes", text: "\(merged.rows.count) rows for \(writes.count) writes"))
            }
            for (position, write) in writes.enumerated() {
                split[write] = rows.map { PostgresResult(rows: [$0[position]], affectedRows: 1) }
            }
        }
        return split.map { $0! }
    }

    /// A text array literal with every element quoted, so any text survives (no NULLs).
    static func arrayLiteral(_ elements: [String]) -> String {
        var literal = "{"
        for (position, element) in elements.enumerated() {
            if position > 0 { literal += "," }
            literal += "\""
            for scalar in element.unicodeScalars {
                if scalar == "\"" || scalar == "\\" { literal += "\\" }
                literal.unicodeScalars.append(scalar)
            }
            literal += "\""
        }
        return literal + "}"
    }
}
