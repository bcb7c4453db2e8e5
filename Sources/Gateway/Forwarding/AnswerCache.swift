import DouyinCaching
import DouyinClients
import DouyinModels
import DouyinRPC
import HTTPTypes
import Metrics
import NIOConcurrencyHelpers
import NIOCore

/// Answers the gateway repeats without asking the service again, while the content
/// versions they were built at still hold (`AnswerValidity`).
///
/// A service names those versions only on answers that depend on nothing else than
/// the request and them (the feed's first page, a user's profile as a viewer sees it).
/// A repeat costs one MGET of the versions instead of an RPC and the service's work,
/// and stays exactly as fresh as the service's own caches: every write that changes
/// such an answer moves one of its versions before it returns, so the next read after
/// it misses here, on every gateway. Entries also expire after the service's `maxAge`
/// (the lifetime of its own cache entries: 2 s for feed pages, 5 s for users), capped by
/// `maxAge` here, which bounds staleness if a writer could not move a version.
final class AnswerCache: Sendable {
    /// Everything of a request that its answer may depend on.
    struct Key: Hashable, Sendable {
        /// Path and query, the token with them.
        let target: String
        /// Media URLs follow the host the client asked for.
        let host: String?
        let forwardedHost: String?
        let viewer: UserID?
    }

    private struct Entry: Sendable {
        let validity: AnswerValidity
        let storedAt: ContinuousClock.Instant
        let answer: ForwardedHTTP.Response
    }

    /// The entries, and the bytes of their bodies together.
    private struct Entries {
        var answers: LRUCache<Key, Entry>
        var bytes = 0
    }

    private let entries: NIOLockedValueBox<Entries>
    private let versions: any VersionCounters
    private let maxBytes: Int
    private let maxAge: Duration
    private let repeated = Counter(label: "douyin_gateway_repeated_answers_total")

    /// - Parameters:
    ///   - capacity: how many answers at most.
    ///   - maxBytes: how many bytes their bodies may take together.
    init(versions: any VersionCounters, capacity: Int, maxBytes: Int, maxAge: Duration = .seconds(5)) {
        self.entries = NIOLockedValueBox(Entries(answers: LRUCache(capacity: capacity, metrics: CacheMetrics(name: "answers"))))
        self.versions = versions
        self.maxBytes = maxBytes
        self.maxAge = maxAge
    }

    /// The key of a request whose answer may be repeated: a GET without a body whose
    /// viewer the gateway knows (a token in a form body is the service's to read).
    static func key(_ head: HTTPRequest, body: ByteBuffer, identity: GatewayIdentity) -> Key? {
        guard head.method == .get, body.readableBytes == 0, let target = head.path else { return nil }
        let viewer: UserID?
        switch identity {
        case .anonymous: viewer = nil
        case .user(let id): viewer = id
        case .deferred: return nil
        }
        return Key(target: target, host: head.authority, forwardedHost: head.headerFields[.forwardedHost], viewer: viewer)
    }

    /// The stored answer, if its versions still hold; nil when they moved, it expired,
    /// or Redis cannot say.
    func answer(for key: Key) async -> ForwardedHTTP.Response? {
        guard let entry = entries.withLockedValue({ $0.answers[key] }),
            entry.storedAt.duration(to: .now) < min(entry.validity.maxAge, maxAge),
            let current = try? await versions.read(entry.validity.keys), current == entry.validity.versions
        else { return nil }
        repeated.increment()
        return entry.answer
    }

    /// Keeps a successful answer that names its versions, dropping the least recently
    /// used ones while there are too many or they take too many bytes.
    func remember(_ answer: ForwardedHTTP.Response, validity: AnswerValidity?, for key: Key) {
        guard let validity, answer.status == .ok, answer.body.readableBytes <= maxBytes else { return }
        let entry = Entry(validity: validity, storedAt: .now, answer: answer)
        entries.withLockedValue { entries in
            if let replaced = entries.answers.removeValue(forKey: key) {
                entries.bytes -= replaced.answer.body.readableBytes
            }
            while entries.answers.count >= entries.answers.capacity || entries.bytes + answer.body.readableBytes > maxBytes,
                let (_, dropped) = entries.answers.removeOldest()
            {
                entries.bytes -= dropped.answer.body.readableBytes
            }
            entries.answers[key] = entry
            entries.bytes += answer.body.readableBytes
        }
    }
}
