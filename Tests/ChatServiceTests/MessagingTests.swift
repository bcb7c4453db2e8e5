import DouyinClients
import DouyinHTTP
import DouyinModels
import DouyinTestSupport
import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing
@testable import ChatService

/// The chat rules over in-memory tables and local delivery: no PostgreSQL, Redis or RPC.
struct MessagingTests {
    let store = InMemoryMessages()
    let sessions = LiveSessions(outboxCapacity: 4)
    let delivery: LocalDelivery
    let counters = InMemoryVersionCounters()
    let context: ChatContext

    init() {
        delivery = LocalDelivery(sessions: sessions)
        context = ChatContext(
            store: store, sessions: sessions, delivery: delivery,
            versions: ContentVersions(counters: counters, logger: Logger(label: "test")),
            existing: { ids in ids.filter { (1...5).contains($0) } }, knownUsers: 100, maxMessageBytes: 1024
        )
    }

    var messaging: Messaging { context.messaging }

    @Test func contentIsOneToAThousandCodePoints() async throws {
        #expect(await errorCode { _ = try await messaging.send(from: 1, to: 2, content: "") } == .invalidParameter)
        #expect(await errorCode { _ = try await messaging.send(from: 1, to: 2, content: String(repeating: "字", count: 1_001)) } == .invalidParameter)
        let longest = try await messaging.send(from: 1, to: 2, content: String(repeating: "字", count: 1_000))
        #expect(longest.content.count == 1_000)
        #expect(delivery.published.withLockedValue { $0 } == [longest], "refused messages are neither stored nor delivered")
    }

    @Test func noChatWithYourselfOrWithNobody() async throws {
        #expect(await errorCode { _ = try await messaging.send(from: 1, to: 1, content: "me") } == .invalidParameter)
        #expect(await errorCode { _ = try await messaging.send(from: 1, to: 99, content: "hello?") } == .userNotFound)
        #expect(await errorCode { _ = try await messaging.conversation(of: 1, with: 99, preMessageTime: 0, page: Page()) } == .userNotFound)
        #expect(try await store.latest(of: 1, with: [1, 99]).isEmpty)
    }

    @Test func aConversationReadsOldestFirstInBothDirectionsWithStrictTimes() async throws {
        // The clock stands still: times still increase within the conversation.
        var sent: [Message] = []
        for (from, to) in [(1, 2), (2, 1), (1, 2), (1, 3), (2, 1)] as [(UserID, UserID)] {
            sent.append(try await messaging.send(from: from, to: to, content: "\(from)->\(to)"))
        }
        let conversation = try await messaging.conversation(of: 2, with: 1, preMessageTime: 0, page: Page()).body.items
        #expect(conversation.map(\.content) == ["1->2", "2->1", "1->2", "2->1"])
        #expect(zip(conversation, conversation.dropFirst()).allSatisfy { $0.createTime < $1.createTime })

        let later = try await messaging.conversation(of: 1, with: 2, preMessageTime: conversation[1].createTime, page: Page()).body.items
        #expect(later.map(\.id) == [conversation[2].id, conversation[3].id], "only what is newer than pre_msg_time")
    }

    /// A conversation answer names its conversation's version (either side asks the same
    /// one), read before the messages: the gateway may repeat it while that holds.
    @Test func aConversationAnswerNamesItsConversationsVersion() async throws {
        let key = "douyin:conversation:1:2:version"
        let empty = try await messaging.conversation(of: 2, with: 1, preMessageTime: 0, page: Page())
        #expect(empty.body.items.isEmpty)
        #expect(empty.validity?.keys == [key] && empty.validity?.versions == [0])

        _ = try await messaging.send(from: 1, to: 2, content: "hi")
        try await counters.increment([key])  // what the delivery does in Redis (DeliveryFeedRedisTests)
        let after = try await messaging.conversation(of: 1, with: 2, preMessageTime: 0, page: Page())
        #expect(after.body.items.map(\.content) == ["hi"] && after.validity?.versions == [1])

        // Redis cannot say: the answer is built as usual and not repeated.
        counters.unreadable = true
        let unversioned = try await messaging.conversation(of: 1, with: 2, preMessageTime: 0, page: Page())
        #expect(unversioned.body.items.count == 1 && unversioned.validity == nil)
    }

    @Test func pagesOfAConversationFollowTheCursor() async throws {
        for n in 1...7 { _ = try await messaging.send(from: n % 2 == 0 ? 1 : 2, to: n % 2 == 0 ? 2 : 1, content: "\(n)") }
        var page = Page(limit: 3)
        var read: [String] = []
        while true {
            let list = try await messaging.conversation(of: 1, with: 2, preMessageTime: 0, page: page).body
            read += list.items.map(\.content)
            guard !list.nextCursor.isEmpty else { break }
            page = try Page(RequestParameters(sources: [[("cursor", list.nextCursor), ("limit", "3")]]))
        }
        #expect(read == (1...7).map(String.init))
    }

    @Test func aStoredMessageReachesEverySocketOfItsRecipientOnly() async throws {
        let phone = sessions.open(for: 2)
        let laptop = sessions.open(for: 2)
        let bystander = sessions.open(for: 3)
        let message = try await messaging.send(from: 1, to: 2, content: "hi")
        sessions.close(bystander)
        for outbox in [phone, laptop] {
            var frames = outbox.frames.makeAsyncIterator()
            let frame = try #require(await frames.next())
            #expect(try JSONDecoder().decode(Message.self, from: Data(frame.utf8)) == message)
        }
        var nothing = bystander.frames.makeAsyncIterator()
        #expect(await nothing.next() == nil)
    }

    @Test func aReaderTooSlowIsCutOffInsteadOfBuffered() async throws {
        let slow = sessions.open(for: 2)
        for n in 1...5 { _ = try await messaging.send(from: 1, to: 2, content: "\(n)") }
        #expect(slow.didOverflow)
        var frames = slow.frames.makeAsyncIterator()
        var kept = 0
        while await frames.next() != nil { kept += 1 }
        #expect(kept == 4, "the outbox holds its capacity, then the socket ends")
        #expect(try await messaging.conversation(of: 2, with: 1, preMessageTime: 0, page: Page()).body.items.count == 5, "history keeps every message")
    }
}
