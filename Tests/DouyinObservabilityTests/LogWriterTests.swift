@testable import DouyinObservability
import Foundation
import NIOPosix
import Testing

@Suite struct LogWriterTests {
    func temporaryFile() -> (path: String, descriptor: Int32) {
        let path = NSTemporaryDirectory() + "log-writer-\(UUID().uuidString)"
        return (path, open(path, O_CREAT | O_WRONLY | O_APPEND, 0o600))
    }

    @Test func linesFromManyThreadsArriveWholeAndInOrderPerThread() async throws {
        let (path, descriptor) = temporaryFile()
        defer { close(descriptor); unlink(path) }
        let writer = LogWriter(descriptor: descriptor)
        await withTaskGroup(of: Void.self) { group in
            for thread in 0..<8 {
                group.addTask {
                    for line in 0..<500 { writer.append(Array("{\"thread\":\(thread),\"line\":\(line),\"pad\":\"\(String(repeating: "x", count: line % 97))\"}\n".utf8)) }
                }
            }
        }
        writer.flush()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 8 * 500)
        var next = [Int](repeating: 0, count: 8)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let thread = try #require(object["thread"] as? Int)
            #expect(object["line"] as? Int == next[thread])
            next[thread] += 1
        }
    }

    @Test func aWaitedLineIsWrittenOnReturn() throws {
        let (path, descriptor) = temporaryFile()
        defer { close(descriptor); unlink(path) }
        let writer = LogWriter(descriptor: descriptor)
        writer.append(Array("first\n".utf8))
        writer.append(Array("the reason it stopped\n".utf8), wait: true)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "first\nthe reason it stopped\n")
    }

    @Test func aBlockedOutputDropsLinesInsteadOfGrowing() throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer { close(ends[0]); close(ends[1]) }
        // Nobody reads the pipe: once it is full the writer thread blocks, and the queue stops at its limit.
        let writer = LogWriter(descriptor: ends[1], limit: 4096)
        let line = Array((String(repeating: "y", count: 99) + "\n").utf8)
        for _ in 0..<10_000 { writer.append(line) }
        var drained = 0
        _ = fcntl(ends[0], F_SETFL, O_NONBLOCK)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        for _ in 0..<200 {
            let count = read(ends[0], &buffer, buffer.count)
            if count > 0 { drained += count } else { usleep(1000) }
        }
        writer.flush()
        #expect(drained < 10_000 * 100, "lines past the limit were dropped, not queued")
    }

    @Test(.timeLimit(.minutes(1))) func anEventLoopNeverWaitsForAWarning() async throws {
        var ends: [Int32] = [0, 0]
        // Left open on purpose: the writer thread stays blocked on this full pipe, and
        // closing its read end would end the test process with SIGPIPE.
        try #require(pipe(&ends) == 0)
        // Nobody reads the pipe: once it is full, a waiting caller would wait for good.
        let writer = LogWriter(descriptor: ends[1], limit: 1 << 20)
        for _ in 0..<2_000 { writer.append(Array((String(repeating: "z", count: 99) + "\n").utf8)) }
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        try await loop.submit { writer.append(Array("warning\n".utf8), wait: true) }.get()
    }
}
