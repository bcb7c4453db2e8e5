import DouyinMedia
import Foundation
import NIOConcurrencyHelpers
import NIOPosix

/// One claim's work: the stored original in; HLS renditions and the small cover out to
/// storage under keys of this claim alone (`h/<video>-<attempt>/...`), so two claims of one
/// job never write over each other. Every key is remembered before it is written, so a
/// failure or a discarded result removes all of them.
final class TranscodeJob: Sendable {
    let claim: TranscodeQueue.Claim
    let storage: any MediaStorage
    private let folder: String
    private let stored = NIOLockedValueBox<[String]>([])

    struct Finished: Sendable {
        var master: String
        var files: [String]
        var smallCover: String
        var renditions: String
    }

    init(claim: TranscodeQueue.Claim, storage: any MediaStorage, scratch: String) {
        self.claim = claim
        self.storage = storage
        folder = "\(scratch)/hls-\(claim.videoID)-\(claim.attempt)-\(UInt32.random(in: .min ... .max))"
    }

    func run(on threads: NIOThreadPool, isCancelled: @escaping @Sendable () -> Bool) async throws -> Finished {
        let folder = self.folder
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let output = try await storage.withLocalFile(claim.playKey) { source in
            try await threads.runIfActive {
                LowPriority.enterOnThisThread()
                return try HLSTranscoder.transcode(input: source, into: folder, isCancelled: isCancelled)
            }
        }
        let prefix = "h/\(claim.videoID)-\(claim.attempt)"
        var files: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: folder).sorted() where name != output.masterPlaylist {
            guard !isCancelled() else { throw MediaError.cancelled }
            files.append(try await store(file: name, as: "\(prefix)/\(name)"))
        }
        let smallCover = "c/\(claim.videoID)-\(claim.attempt)-small.jpg"
        remember(smallCover)
        try await storage.store(bytes: output.smallCover, as: smallCover)
        // The master last: once it exists, everything it names does.
        let master = try await store(file: output.masterPlaylist, as: "\(prefix)/\(output.masterPlaylist)")
        return Finished(master: master, files: files, smallCover: smallCover, renditions: output.renditions.map(\.name).joined(separator: ","))
    }

    private func store(file name: String, as key: String) async throws -> String {
        remember(key)
        try await storage.store(file: "\(folder)/\(name)", as: key)
        return key
    }

    private func remember(_ key: String) {
        stored.withLockedValue { $0.append(key) }
    }

    /// Removes whatever this claim stored.
    func removeStored() async {
        for key in stored.withLockedValue({ $0 }) { await storage.remove(key) }
    }

    /// Removes the local working folder (what storing did not move away).
    func removeScratch() {
        try? FileManager.default.removeItem(atPath: folder)
    }
}

/// The transcode threads run under Linux's SCHED_IDLE policy (below nice 19, allowed
/// without privileges): on a machine shared with the API, requests get the cores first.
enum LowPriority {
    /// `SCHED_IDLE` from <sched.h>, which Swift's Glibc module leaves out (it is a GNU extension).
    static let schedIdle: Int32 = 5

    static func enterOnThisThread() {
        var parameters = sched_param(sched_priority: 0)
        _ = pthread_setschedparam(pthread_self(), schedIdle, &parameters)
    }
}
