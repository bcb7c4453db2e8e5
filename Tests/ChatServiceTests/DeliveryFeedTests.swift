import DouyinModels
import Foundation
import Testing
@testable import ChatService

/// What the chat processes tell each other about a new message.
struct DeliveryFeedTests {
    @Test func aMessageGoesOnItsRecipientsChannelAsItsOwnFrame() throws {
        let message = Message(id: 7, toUserID: 42, fromUserID: 9, content: "hi \"there\" 😀 \n", createTime: 1_700_000_000_123)
        #expect(DeliveryFeed.channel(of: 42) == "douyin:chat:to:42")
        #expect(DeliveryFeed.recipient(of: DeliveryFeed.channel(of: 42)) == 42)
        #expect(try JSONDecoder().decode(Message.self, from: Data(DeliveryFeed.frame(message).utf8)) == message)
    }

    @Test func aChannelOfNoUserIsSkipped() {
        for channel in ["", "douyin:chat:to:", "douyin:chat:to:x", "douyin:chat:deliveries", "douyin:chat:to:1 "] {
            #expect(DeliveryFeed.recipient(of: channel) == nil, "\(channel)")
        }
    }

    @Test func aFrameIsMadeOnlyForARecipientWithASocketHere() {
        let sessions = LiveSessions()
        let outbox = sessions.open(for: 1)
        var made = 0
        sessions.deliver({ made += 1; return "one" }, to: 1)
        sessions.deliver({ made += 1; return "two" }, to: 2)
        #expect(made == 1)
        sessions.close(outbox)
    }

    @Test func aMessageArrivingBeforeTheSocketRunsWaitsInItsReservedOutbox() async {
        let sessions = LiveSessions()
        sessions.reserve(for: 1)
        sessions.deliver({ "early" }, to: 1)
        let outbox = sessions.open(for: 1)
        var frames = outbox.frames.makeAsyncIterator()
        #expect(await frames.next() == "early")
        #expect(sessions.count == 1)
        sessions.close(outbox)
        #expect(!sessions.isOpen(for: 1))
    }

    @Test func aReservationNoSocketClaimedIsDropped() {
        let sessions = LiveSessions()
        let start = ContinuousClock.now
        sessions.reserve(for: 1, now: start)
        sessions.dropUnclaimed(olderThan: .seconds(30), now: start + .seconds(29))
        #expect(sessions.isOpen(for: 1))
        sessions.dropUnclaimed(olderThan: .seconds(30), now: start + .seconds(31))
        #expect(!sessions.isOpen(for: 1))
        // A socket that comes after that gets an outbox of its own.
        let outbox = sessions.open(for: 1)
        #expect(sessions.isOpen(for: 1))
        sessions.close(outbox)
    }
}
