import DouyinModels
import DouyinTestSupport
import Foundation
import Testing

extension EndToEnd {
    /// The services are linked against jemalloc (Package.swift): glibc's allocator cost
    /// them about a tenth of their CPU. A build that lost the link would still pass every
    /// other test, only slower.
    @Suite struct AllocatorTests {
        #if os(Linux)
        @Test func everyServiceRunsOnJemalloc() async throws {
            try await Stack.with { stack in
                let services = ServiceName.allCases.map(\.rawValue)
                let processes = stack.runningProcessIDs().filter { services.contains($0.name) }
                #expect(Set(processes.map(\.name)) == Set(services))
                for (name, pid) in processes {
                    // /proc files report no size: read to the end, not one page.
                    let maps = try #require(try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/\(pid)/maps")).readToEnd())
                    #expect(String(decoding: maps, as: UTF8.self).contains("/libjemalloc.so"), "\(name) (pid \(pid)) has not loaded jemalloc")
                }
            }
        }
        #endif
    }
}
