import DouyinDiscovery
import DouyinModels
import DouyinRPC
import Foundation
import NIOCore
import Testing

/// Instances on this node are called over their Unix socket; anything else over TCP.
@Suite struct RPCLocalSocketTests {
    /// A server on TCP and a Unix socket whose one method says which the call came on.
    func makeServer() async throws -> (server: RPCServer, port: Int, socket: String) {
        let server = RPCServer(logger: .init(label: "test"))
        server.register(name: "test.transport") { _, connection in
            if case .unixDomainSocket = connection.localAddress { return ByteBuffer(string: "unix") }
            return ByteBuffer(string: "tcp")
        }
        let port = try await server.bind(host: "127.0.0.1", port: 0)
        let socket = FileManager.default.temporaryDirectory.appendingPathComponent("rpc-\(UUID().uuidString.prefix(8)).sock").path
        try await server.bind(unixSocket: socket)
        return (server, port, socket)
    }

    func transport(of instance: ServiceInstance) async throws -> String {
        // What is tested is the transport, not time: a long deadline, so a machine that stalls
        // for seconds under a parallel test run cannot fail it.
        let client = RPCClient(service: .user, balancer: LoadBalancer(service: .user) { [instance] }, defaultTimeout: .seconds(60))
        do {
            let reply = try await client.call(name: "test.transport", payload: ByteBuffer(), isIdempotent: true)
            await client.shutdown()
            return String(buffer: reply)
        } catch {
            await client.shutdown()
            throw error
        }
    }

    func instance(port: Int, socket: String?, node: String?) -> ServiceInstance {
        ServiceInstance(id: "i-\(port)", service: .user, host: "127.0.0.1", httpPort: 0, rpcPort: port, rpcSocket: socket, node: node, version: "t", startedAt: 0)
    }

    @Test func sameNodeCallsOverTheSocket() async throws {
        let (server, port, socket) = try await makeServer()
        #expect(try await transport(of: instance(port: port, socket: socket, node: ServiceInstance.localNode)) == "unix")
        await server.close()
        // Closing the server removes its socket file.
        #expect(!FileManager.default.fileExists(atPath: socket))
    }

    @Test func otherNodeOrNoSocketCallsOverTCP() async throws {
        let (server, port, socket) = try await makeServer()
        #expect(try await transport(of: instance(port: port, socket: socket, node: "elsewhere")) == "tcp")
        #expect(try await transport(of: instance(port: port, socket: nil, node: nil)) == "tcp")
        await server.close()
    }

    /// A socket that cannot be reached (removed, or from a process that died) costs only the TCP fallback.
    @Test func unreachableSocketFallsBackToTCP() async throws {
        let (server, port, _) = try await makeServer()
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("rpc-missing.sock").path
        #expect(try await transport(of: instance(port: port, socket: missing, node: ServiceInstance.localNode)) == "tcp")
        await server.close()
    }

    /// Older registry entries have neither field; newer ones round-trip both.
    @Test func registryEntriesReadWithAndWithoutSocket() throws {
        let old = #"{"id":"a","service":"user","host":"h","http_port":1,"rpc_port":2,"version":"v","started_at":0}"#
        let decoded = try JSONDecoder().decode(ServiceInstance.self, from: Data(old.utf8))
        #expect(decoded.rpcSocket == nil && decoded.node == nil)
        let entry = instance(port: 2, socket: "/run/x.sock", node: "n1")
        #expect(try JSONDecoder().decode(ServiceInstance.self, from: JSONEncoder().encode(entry)) == entry)
    }
}
