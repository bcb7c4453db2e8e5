import DouyinPostgres
import DouyinTestSupport
import Foundation
import Logging
import Testing

extension EndToEnd {
    /// Counters that drifted from the rows they count (here: set by hand in PostgreSQL)
    /// are found by the periodic reconciliation, repaired, logged and counted, and clients
    /// see the right numbers again; in normal operation there is no drift.
    @Suite struct CounterHealingTests {
        @Test func corruptedCountersComeBackRight() async throws {
            try await Stack.with(environment: ["DOUYIN_RECONCILE_INTERVAL_SECONDS": "1"]) { stack in
                let api = stack.api
                let ann = try await api.register("ann")
                let bob = try await api.register("bob")
                let video = try await api.publishClip(as: bob, title: "counted")
                for (path, query) in [
                    ("/douyin/favorite/action/", [("video_id", String(video)), ("action_type", "1")]),
                    ("/douyin/comment/action/", [("video_id", String(video)), ("action_type", "1"), ("comment_text", "nice")]),
                    ("/douyin/relation/action/", [("to_user_id", bob.idString), ("action_type", "1")]),
                ] {
                    #expect(try await api.post(path, query + [("token", ann.token)]).isSuccess, "\(path)")
                }
                // Normal operation: passes run and find nothing.
                let quiet = try await waitFor {
                    let (video, user) = (try await drift(stack, "video"), try await drift(stack, "user"))
                    return video == 0 && user == 0
                }
                #expect(quiet, "no pass reported zero drift")

                let db = PostgresClient(.init(conninfo: stack.databaseURL, maxConnections: 1), logger: Logger(label: "test"))
                try await db.withConnection { connection in
                    try connection.executeScript("""
                        UPDATE video.videos SET favorite_count = 42, comment_count = 9;
                        UPDATE video.user_stats SET work_count = 0, total_favorited = 7, favorite_count = 3;
                        UPDATE users.profiles SET follow_count = 5, follower_count = 11;
                        """)
                }
                await db.shutdown()

                let healed = try await waitFor {
                    let feed = try await api.get("/douyin/feed/", [("token", ann.token)]).text
                    let bobInfo = try await api.get("/douyin/user/", [("user_id", bob.idString), ("token", ann.token)]).text
                    let annInfo = try await api.get("/douyin/user/", [("user_id", ann.idString), ("token", ann.token)]).text
                    return feed.contains(#""favorite_count":1"#) && feed.contains(#""comment_count":1"#)
                        && bobInfo.contains(#""follower_count":1"#) && bobInfo.contains(#""total_favorited":1"#)
                        && bobInfo.contains(#""work_count":1"#) && annInfo.contains(#""follow_count":1"#)
                        && annInfo.contains(#""favorite_count":1"#)
                }
                #expect(healed, "clients still see the corrupted counters")
                for (service, series) in [
                    ("video", #"douyin_counter_repairs_total{table="video.videos",counter="favorite_count"}"#),
                    ("video", #"douyin_counter_repairs_total{table="video.user_stats",counter="total_favorited"}"#),
                    ("user", #"douyin_counter_repairs_total{table="users.profiles",counter="follower_count"}"#),
                ] {
                    let metrics = try await APIClient(baseURL: try #require(await stack.adminURL(of: service))).get("/metrics").text
                    #expect(metrics.contains(series), "\(series) missing on \(service)")
                }
                #expect(await stack.logs("video", contain: "counter repaired"))
                #expect(stack.exitedProcesses().isEmpty)
            }
        }

        /// The drift the last pass found on `service`, from its gauge (nil before any pass).
        func drift(_ stack: Stack, _ service: String) async throws -> Double? {
            let metrics = try await APIClient(baseURL: try #require(await stack.adminURL(of: service))).get("/metrics").text
            let values = metrics.split(separator: "\n").filter { $0.hasPrefix("douyin_counter_drift{") }
                .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            return values.isEmpty ? nil : values.reduce(0, +)
        }

        func waitFor(_ condition: () async throws -> Bool) async throws -> Bool {
            for _ in 0..<100 {
                if try await condition() { return true }
                try await Task.sleep(for: .milliseconds(100))
            }
            return false
        }
    }
}
