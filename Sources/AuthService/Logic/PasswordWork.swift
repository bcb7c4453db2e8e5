import DouyinCrypto
import DouyinModels
import NIOConcurrencyHelpers
import NIOPosix

/// Runs password hashing on threads of its own, never on an event loop.
///
/// Each scrypt hash takes tens of milliseconds and 32 MiB, so the number of
/// threads caps the memory in use, and a bounded queue turns a login flood into
/// quick 503s instead of unbounded waiting.
public final class PasswordWork: Sendable {
    private let hasher: PasswordHasher
    private let threads: NIOThreadPool
    private let queued = NIOLockedValueBox(0)
    private let maxQueued: Int
    /// Verified against when the username is unknown, so both failures cost the same time.
    private let decoyHash: String

    public init(hasher: PasswordHasher = PasswordHasher(), threads: Int = 2, maxQueued: Int = 256) throws {
        self.hasher = hasher
        self.threads = NIOThreadPool(numberOfThreads: threads)
        self.threads.start()
        self.maxQueued = maxQueued
        self.decoyHash = try hasher.hash(Base64URL.encode(try SecureRandom.bytes(12)))
    }

    public func hash(_ password: String) async throws -> String {
        try await run { [hasher] in try hasher.hash(password) }
    }

    public func verify(_ password: String, against hash: String?) async throws -> Bool {
        let (target, real) = (hash ?? decoyHash, hash != nil)
        let matches = try await run { [hasher] in (try? hasher.verify(password, against: target)) ?? false }
        return matches && real
    }

    public func shutdown() async {
        try? await threads.shutdownGracefully()
    }

    private func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let admitted = queued.withLockedValue { count in
            guard count < maxQueued else { return false }
            count += 1
            return true
        }
        guard admitted else { throw DouyinError(.serviceUnavailable, "too busy, try again") }
        defer { queued.withLockedValue { $0 -= 1 } }
        return try await threads.runIfActive(work)
    }
}
