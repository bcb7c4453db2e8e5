import ChatService
import DouyinModels
import DouyinPostgres
import DouyinTestSupport
import Testing

/// Messages against a real PostgreSQL: every send is stored once, and times within a
/// conversation are distinct and increasing, however many messages come at once.
@Suite(.enabled(if: TestServers.enabled, TestServers.skipReason))
struct MessageStoreTests {
    @Test func messagesSentAtOnceGetTheirOwnRowsAndDistinctIncreasingTimes() async throws {
        let db = try await TestServers.migratedDatabase(schema: "chat", folder: "chat")
        let store = MessageStore(db: db)
        // Sends that arrive together commit in one group: many in one conversation, both ways.
        let plans = (0..<200).map { n in (from: Int64.random(in: 1...4), to: Int64.random(in: 5...6), content: "m\(n) \"'{,}\\") }
        let sent = try await withThrowingTaskGroup(of: (Int, Message).self) { group in
            for (index, plan) in plans.enumerated() {
                group.addTask {
                    let forward = index.isMultiple(of: 2)
                    let (from, to) = forward ? (plan.from, plan.to) : (plan.to, plan.from)
                    return (index, try await store.send(from: from, to: to, content: plan.content))
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }

        let stored = try await db.query("""
            SELECT id, from_user_id, to_user_id, content, create_time FROM chat.messages
            """).decode(Int64.self, Int64.self, Int64.self, String.self, Int64.self)
        #expect(stored.count == plans.count, "each send stored once")
        let byID = Dictionary(uniqueKeysWithValues: stored.map { ($0.0, $0) })
        for (index, message) in sent {
            let row = try #require(byID[message.id], "the id a send answered is its row")
            let (_, from, to, content, time) = row
            #expect(from == message.fromUserID && to == message.toUserID && time == message.createTime)
            #expect(content == plans[index].content)
        }
        for a in Int64(1)...4 {
            for b in Int64(5)...6 {
                let times = try await store.history(between: a, and: b, after: 0, limit: 1000).map(\.createTime)
                #expect(times == times.sorted() && Set(times).count == times.count, "strictly increasing in \(a)-\(b)")
            }
        }
        await db.shutdown()
    }
}
