import DouyinModels
import Foundation
import Testing
@testable import ChatService

/// What the chat processes tell each other about a new message.
struct DeliveryFeedTests {
    @Test func aPayloadNamesItsRecipientAndCarriesTheMessageAsItsFrame() throws {
        let message = Message(id: 7, toUserID: 42, fromUserID: 9, content: "hi \"there\" 😀 \n", createTime: 1_700_000_000_123)
        let payload = Array(DeliveryFeed.payload(message).utf8)
        let (recipient, frame) = try #require(DeliveryFeed.parse(payload))
        #expect(recipient == 42)
        #expect(try JSONDecoder().decode(Message.self, from: Data(frame().utf8)) == message)
    }

    @Test func aPayloadWithoutRecipientIsSkipped() {
        for payload in ["", "{\"id\":1}", "x {\"id\":1}", " {}", "42"] {
            #expect(DeliveryFeed.parse(Array(payload.utf8)) == nil, "\(payload)")
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
}
