import DouyinPostgres
import DouyinTestSupport
import Foundation
import Testing

/// The test PostgreSQL requires TLS (`Scripts/test.sh`) with a certificate its run made:
/// `verify-full` connects only with the CA that signed it and the host it names.
@Suite(.enabled(if: TestServers.tlsEnabled, TestServers.tlsSkipReason))
struct PostgresTLSTests {
    func connect(_ tls: PostgresTLS, url: String? = nil, host: String? = nil) throws -> PostgresConnection {
        let server = try TestServers.requirePostgresTLS()
        var overrides = PostgresConfiguration(conninfo: url ?? server.url, tls: tls).parameters
        // libpq checks the certificate against `host` and connects to `hostaddr`.
        if let host { overrides.overrides += [("host", host), ("hostaddr", "127.0.0.1")] }
        return try PostgresConnection(overrides)
    }

    func refusal(_ body: () throws -> PostgresConnection) -> PostgresError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error as? PostgresError
        }
    }

    @Test func verifiedWithTheRightCAAndHost() throws {
        let ca = try TestServers.requirePostgresTLS().ca
        let connection = try connect(PostgresTLS(mode: "verify-full", rootCertificate: ca))
        let encrypted = try connection.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").first?.column(0, as: Bool.self)
        #expect(encrypted == true)
    }

    @Test func aCertificateFromAnotherCAIsRefused() throws {
        let otherCA = try TestServers.requirePostgresTLS().otherCA
        let error = refusal { try connect(PostgresTLS(mode: "verify-full", rootCertificate: otherCA)) }
        #expect(error?.description.contains("certificate verify failed") == true, "\(String(describing: error))")
        #expect(error?.isSetupRefusal == true)
    }

    @Test func aCertificateForAnotherHostIsRefused() throws {
        let ca = try TestServers.requirePostgresTLS().ca
        let error = refusal { try connect(PostgresTLS(mode: "verify-full", rootCertificate: ca), host: "db.example.net") }
        #expect(error?.description.contains("does not match host name") == true, "\(String(describing: error))")
        #expect(error?.isSetupRefusal == true)
        // verify-ca checks the signature only.
        _ = try connect(PostgresTLS(mode: "verify-ca", rootCertificate: ca), host: "db.example.net")
    }

    @Test func aConnectionWithoutTLSIsRefusedByTheServer() throws {
        let error = refusal { try connect(PostgresTLS(mode: "disable")) }
        #expect(error?.description.contains("no encryption") == true, "\(String(describing: error))")
        #expect(error?.isSetupRefusal == true)
    }

    /// The settings win over the URL's own words: a URL that says `sslmode=disable` is verified anyway.
    @Test func theTLSSettingsOverrideTheURL() throws {
        let server = try TestServers.requirePostgresTLS()
        let url = server.url + (server.url.contains("?") ? "&" : "?") + "sslmode=disable"
        #expect(refusal { try connect(PostgresTLS(), url: url) } != nil, "the URL alone asks for no TLS")
        let connection = try connect(PostgresTLS(mode: "verify-full", rootCertificate: server.ca), url: url)
        #expect(try connection.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").first?.column(0, as: Bool.self) == true)
    }

    /// A server that is down is not a setting to fix: it is retried, not reported as one.
    @Test func aServerThatIsDownIsNoSetupRefusal() throws {
        let error = refusal { try PostgresConnection(conninfo: "postgresql://douyin@127.0.0.1:1/douyin?connect_timeout=2") }
        #expect(error?.isConnectionFailure == true)
        #expect(error?.isSetupRefusal == false, "\(String(describing: error))")
    }
}
