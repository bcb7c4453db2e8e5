import DouyinTestSupport
import Foundation
import Testing

extension EndToEnd {
    /// WebSocket chat through the gateway with two chat instances (API.md 8.2).
    @Suite struct LiveChatTests {
        func socketURL(_ stack: Stack, _ account: TestAccount) -> String {
            stack.gatewayURL.replacingOccurrences(of: "http://", with: "ws://") + "/douyin/message/ws/?token=" + account.token
        }

        /// Which chat process logged a socket for `account` (its log name).
        func instance(of account: TestAccount, in stack: Stack, among names: [String]) async -> String? {
            for _ in 0..<50 {
                for name in names where stack.log(of: name).split(separator: "\n").contains(where: {
                    $0.contains("chat socket open") && $0.contains("\"user_id\":\"\(account.id)\"")
                }) {
                    return name
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
            return nil
        }

        func json(_ text: String?) -> [String: any Sendable] {
            text.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: any Sendable] } ?? [:]
        }

        /// Starts a second chat instance and opens `a`'s and `b`'s sockets on different instances.
        func socketsOnTwoInstances(_ stack: Stack, _ a: TestAccount, _ b: TestAccount) async throws -> (TestSocket, TestSocket) {
            let socketA = try await TestSocket.open(socketURL(stack, a))
            let instanceA = try #require(await instance(of: a, in: stack, among: ["chat", "chat-2"]))
            // Connect B until it lands on the other instance.
            for _ in 0..<30 {
                let candidate = try await TestSocket.open(socketURL(stack, b))
                if await instance(of: b, in: stack, among: [instanceA == "chat" ? "chat-2" : "chat"]) != nil { return (socketA, candidate) }
                await candidate.close()
            }
            Issue.record("B never reached the second chat instance")
            throw StackError.notReady("B never reached the second chat instance")
        }

        func startSecondChatInstance(_ stack: Stack) async throws {
            try stack.start(.chat, name: "chat-2")
            try await stack.waitUntilRegistered(.chat, count: 2)
            try await Task.sleep(for: .milliseconds(1500))  // the gateway's next registry poll at the latest
        }

        @Test func messagesCrossInstancesInRealTime() async throws {
            try await Stack.with { stack in
                try await startSecondChatInstance(stack)
                let api = stack.api
                let a = try await api.register("wsa")
                let b = try await api.register("wsb")
                let (socketA, receiver) = try await socketsOnTwoInstances(stack, a, b)

                // Over WebSocket: A gets an ack, B gets the Message itself.
                socketA.send(#"{"to_user_id": \#(b.id), "content": "hello over ws ✓"}"#)
                let ack = json(await socketA.next())
                #expect(ack["status_code"] as? Int == 0)
                let pushed = json(await receiver.next(within: .seconds(1)))
                #expect(pushed["content"] as? String == "hello over ws ✓")
                #expect(pushed["from_user_id"] as? Int == a.id)
                #expect(pushed["to_user_id"] as? Int == b.id)
                #expect(pushed["status_code"] == nil)

                // Over HTTP: pushed too.
                let sent = try await api.post("/douyin/message/action/", [("to_user_id", b.idString), ("action_type", "1"), ("content", "hello over http"), ("token", a.token)])
                #expect(sent.isSuccess)
                #expect(json(await receiver.next(within: .seconds(1)))["content"] as? String == "hello over http")

                // Both are stored like any message.
                let history = try await api.get("/douyin/message/chat/", [("to_user_id", a.idString), ("token", b.token)])
                let contents = (history.json["message_list"] as? [[String: any Sendable]] ?? []).compactMap { $0["content"] as? String }
                #expect(contents == ["hello over ws ✓", "hello over http"])

                // Bad frames are refused on the socket, which stays open.
                socketA.send("not json")
                #expect((json(await socketA.next())["status_code"] as? Int ?? 0) != 0)
                socketA.send(#"{"to_user_id": \#(a.id), "content": "to myself"}"#)
                #expect((json(await socketA.next())["status_code"] as? Int ?? 0) != 0)
                socketA.send(#"{"to_user_id": \#(b.id), "content": ""}"#)
                #expect((json(await socketA.next())["status_code"] as? Int ?? 0) != 0)

                // An oversized frame closes only that connection.
                socketA.send(String(repeating: "x", count: 64 * 1024))
                #expect(await socketA.closedByServer())
                let stillThere = try await api.post("/douyin/message/action/", [("to_user_id", b.idString), ("action_type", "1"), ("content", "after"), ("token", a.token)])
                #expect(stillThere.isSuccess)
                #expect(json(await receiver.next(within: .seconds(1)))["content"] as? String == "after")
                await receiver.close()
            }
        }

        /// A socket hears messages from the moment its upgrade is answered: the chat process
        /// subscribes to its user's deliveries before accepting it. Repeated on new sockets,
        /// each written to at once, as a client that opens a socket and then sends would.
        @Test func aMessageSentAsSoonAsTheSocketOpensIsPushed() async throws {
            try await Stack.with { stack in
                let api = stack.api
                let a = try await api.register("wse")
                for round in 0..<5 {
                    let b = try await api.register("wsf\(round)")
                    let receiver = try await TestSocket.open(socketURL(stack, b))
                    let sent = try await api.post(
                        "/douyin/message/action/", [("to_user_id", b.idString), ("action_type", "1"), ("content", "at once \(round)"), ("token", a.token)]
                    )
                    #expect(sent.isSuccess)
                    #expect(json(await receiver.next(within: .seconds(2)))["content"] as? String == "at once \(round)")
                    await receiver.close()
                }
            }
        }

        /// SIGTERM closes open sockets cleanly and the process still exits 0.
        @Test func shutdownClosesSockets() async throws {
            try await Stack.with { stack in
                let a = try await stack.api.register("wsd")
                let socket = try await TestSocket.open(socketURL(stack, a))
                #expect(await instance(of: a, in: stack, among: ["chat"]) == "chat")
                let statuses = await stack.terminate("chat")
                #expect(statuses == [0])
                #expect(await socket.closedByServer())
            }
        }

        @Test func invalidTokenCannotUpgrade() async throws {
            try await Stack.with { stack in
                let a = try await stack.api.register("wsc")
                let base = stack.gatewayURL.replacingOccurrences(of: "http://", with: "ws://") + "/douyin/message/ws/"
                await #expect(throws: (any Error).self) { try await TestSocket.open(base + "?token=" + a.token + "x") }
                await #expect(throws: (any Error).self) { try await TestSocket.open(base) }
                // As plain HTTP, the refusal is the JSON envelope with a failure status.
                let reply = try await stack.api.get("/douyin/message/ws/", [("token", a.token + "x")])
                #expect(reply.isCleanFailure && reply.status == 401)
                // A valid token upgrades.
                let socket = try await TestSocket.open(base + "?token=" + a.token)
                await socket.close()
            }
        }
    }
}
