import DouyinHTTP
import DouyinModels
import Foundation
import HummingbirdWebSocket
import Logging

/// One live chat connection (API.md 8.2): text frames `{"to_user_id", "content"}`
/// in, acknowledgements and pushed messages out.
struct ChatSocket: Sendable {
    let messaging: Messaging
    let sessions: LiveSessions
    let maxMessageBytes: Int

    struct Incoming: Decodable {
        var toUserID: Int64
        var content: String

        enum CodingKeys: String, CodingKey {
            case toUserID = "to_user_id"
            case content
        }
    }

    struct Acknowledgement: Encodable {
        var statusCode: Int32 = 0
        var statusMessage = "sent"
        var message: Message

        enum CodingKeys: String, CodingKey {
            case statusCode = "status_code"
            case statusMessage = "status_msg"
            case message
        }
    }

    /// Makes messages to `user` reach this process, and wait in the socket's outbox,
    /// before the socket is accepted: one sent as soon as the upgrade is answered is pushed.
    func prepare(for user: UserID) async {
        sessions.reserve(for: user)
        await messaging.feed.listen(for: user)
    }

    func serve(user: UserID, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, logger: Logger) async {
        let outbox = sessions.open(for: user)
        defer { sessions.close(outbox) }
        logger.info("chat socket open", metadata: ["user_id": "\(user)"])
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await frame in outbox.frames {
                    do { try await outbound.write(.text(frame)) } catch { break }
                }
                if outbox.didOverflow {
                    logger.info("closing a chat socket that reads too slowly", metadata: ["user_id": "\(user)"])
                    try? await outbound.close(.policyViolation, reason: "reader too slow")
                }
            }
            group.addTask {
                do {
                    for try await message in inbound.messages(maxSize: maxMessageBytes) {
                        outbox.push(await reply(to: message, from: user))
                    }
                } catch {
                    logger.debug("chat socket ended", metadata: ["error": "\(error)"])
                }
            }
            await group.next()
            group.cancelAll()
        }
        logger.info("chat socket closed", metadata: ["user_id": "\(user)"])
    }

    /// Stores the message like `POST /douyin/message/action/` does, and answers with an ack or an error.
    private func reply(to message: WebSocketMessage, from user: UserID) async -> String {
        do {
            guard case .text(let text) = message,
                let incoming = try? JSONDecoder().decode(Incoming.self, from: Data(text.utf8))
            else { throw DouyinError(.invalidParameter, #"expected a text frame {"to_user_id": N, "content": "..."}"#) }
            guard (1...RequestParameters.maxID).contains(incoming.toUserID) else { throw DouyinError.invalid("to_user_id", "not a valid id") }
            guard !incoming.content.unicodeScalars.contains("\u{0}") else { throw DouyinError.invalid("content", "must not contain NUL") }
            let stored = try await messaging.send(from: user, to: incoming.toUserID, content: incoming.content)
            return Self.json(Acknowledgement(message: stored))
        } catch let error as DouyinError {
            return Self.json(StatusEnvelope(error))
        } catch {
            return Self.json(StatusEnvelope(DouyinError(.serviceUnavailable, "message not sent, try again")))
        }
    }

    static func json(_ value: some Encodable) -> String {
        (try? String(decoding: JSONEncoder().encode(value), as: UTF8.self)) ?? #"{"status_code":50000,"status_msg":"internal error"}"#
    }
}
