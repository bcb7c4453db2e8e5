import Foundation
import Logging

/// Applies a service's SQL migrations (`manifest/sql/<service>/NNN_name.sql`) on start.
///
/// Each file runs once, in name order, inside a transaction that also records
/// it in `<schema>.schema_migrations`. An advisory lock keyed by the schema
/// makes concurrent starts of several instances apply each file exactly once.
public struct Migrator: Sendable {
    public let schema: String
    public let directory: URL

    public init(schema: String, directory: URL) {
        precondition(schema.allSatisfy { $0.isLetter || $0 == "_" }, "schema names are plain identifiers")
        self.schema = schema
        self.directory = directory
    }

    /// The migration files, sorted by name.
    public func files() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Applies what is not applied yet; returns the names it applied.
    @discardableResult
    public func migrate(_ client: PostgresClient, logger: Logger) async throws -> [String] {
        let scripts = try files().map { ($0.lastPathComponent, try String(contentsOf: $0, encoding: .utf8)) }
        let schema = self.schema
        let applied = try await client.transaction { connection in
            // The schema name is a checked identifier, not request data.
            try connection.executeScript("SELECT pg_advisory_xact_lock(hashtext('douyin-migrate-\(schema)'))")
            try connection.executeScript(
                """
                CREATE SCHEMA IF NOT EXISTS \(schema);
                CREATE TABLE IF NOT EXISTS \(schema).schema_migrations (
                    name TEXT PRIMARY KEY,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                );
                """
            )
            let done = Set(
                try connection.query(PostgresQuery(unsafeSQL: "SELECT name FROM \(schema).schema_migrations"))
                    .rows.map { try $0.column(0, as: String.self) }
            )
            var applied: [String] = []
            for (name, sql) in scripts where !done.contains(name) {
                try connection.executeScript("SET LOCAL search_path TO \(schema), public")
                try connection.executeScript(sql)
                try connection.query(
                    PostgresQuery(unsafeSQL: "INSERT INTO \(schema).schema_migrations (name) VALUES ($1)", parameters: [name])
                )
                applied.append(name)
            }
            return applied
        }
        for name in applied { logger.info("applied migration", metadata: ["schema": "\(schema)", "file": "\(name)"]) }
        return applied
    }
}
