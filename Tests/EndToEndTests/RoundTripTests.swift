import DouyinModels
import DouyinRedis
import DouyinTestSupport
import Foundation
import Testing

extension EndToEnd {
    /// A page costs the same number of SQL statements and RPC calls whatever its size:
    /// read from the services' own counters around one request with every cache cold
    /// (the users' versions bumped, a viewer never seen), for a short and a long page.
    @Suite struct RoundTripTests {
        /// What one request cost a service.
        struct Cost: Equatable, CustomStringConvertible {
            var statements: Int
            var calls: Int
            var description: String { "\(statements) statements, \(calls) RPC calls" }
        }

        static let pageSizes = [2, 9]

        /// The sum of a counter family's series in a Prometheus text page.
        static func total(_ family: String, in metrics: String) -> Int {
            metrics.split(separator: "\n").reduce(0) { sum, line in
                guard line.hasPrefix(family + " ") || line.hasPrefix(family + "{"),
                    let value = line.split(separator: " ").last.flatMap({ Double($0) })
                else { return sum }
                return sum + Int(value)
            }
        }

        func counters(_ service: ServiceName, _ stack: Stack) async throws -> Cost {
            let admin = try #require(await stack.adminURLs(of: service).first)
            let metrics = try await APIClient(baseURL: admin).get("/metrics").text
            return Cost(
                statements: Self.total("douyin_postgres_statements_total", in: metrics),
                calls: Self.total("douyin_rpc_client_requests_total", in: metrics)
            )
        }

        /// What `request` cost `service`, after marking `users` changed so nothing about them is cached.
        func coldCost(
            of service: ServiceName, _ stack: Stack, users: [TestAccount], _ request: () async throws -> APIClient.Reply
        ) async throws -> Cost {
            let redis = RedisClient(stack.redisConfiguration())
            _ = try await redis.pipeline(users.map { ["INCR", "douyin:user:\($0.id):version"] })
            await redis.shutdown()
            let before = try await counters(service, stack)
            let reply = try await request()
            #expect(reply.isSuccess, "\(reply.text)")
            let after = try await counters(service, stack)
            return Cost(statements: after.statements - before.statements, calls: after.calls - before.calls)
        }

        @Test func commentPagesCostTheSameWhateverTheirLength() async throws {
            // No transcode workers: their polling statements would count as the page's.
            try await Stack.with(environment: ["DOUYIN_TRANSCODE_WORKERS": "0"]) { stack in
                let api = stack.api
                let author = try await api.register("filmer")
                var costs: [Cost] = []
                for size in Self.pageSizes {
                    let video = try await api.publishClip(as: author, title: "talked about \(size)")
                    var writers: [TestAccount] = []
                    for index in 0..<size {
                        let writer = try await api.register("writer\(size)x\(index)")
                        writers.append(writer)
                        let reply = try await api.post(
                            "/douyin/comment/action/",
                            [("video_id", String(video)), ("action_type", "1"), ("comment_text", "hi \(index)"), ("token", writer.token)]
                        )
                        #expect(reply.isSuccess)
                    }
                    let viewer = try await api.register("reader\(size)")
                    let cost = try await coldCost(of: .video, stack, users: writers + [viewer]) {
                        try await api.get("/douyin/comment/list/", [("video_id", String(video)), ("token", viewer.token)])
                    }
                    costs.append(cost)
                }
                // The page query; the users and the viewer's follow flags in one call each, and
                // the users' video counters for the user service's own batch call back.
                #expect(costs.allSatisfy { $0 == Cost(statements: 2, calls: 2) }, "\(costs)")
            }
        }

        @Test func followerPagesCostTheSameWhateverTheirLength() async throws {
            // No transcode workers: their polling statements would count as the page's.
            try await Stack.with(environment: ["DOUYIN_TRANSCODE_WORKERS": "0"]) { stack in
                let api = stack.api
                var costs: [Cost] = []
                for size in Self.pageSizes {
                    let star = try await api.register("star\(size)")
                    var fans: [TestAccount] = []
                    for index in 0..<size {
                        let fan = try await api.register("fan\(size)x\(index)")
                        fans.append(fan)
                        let reply = try await api.post("/douyin/relation/action/", [("to_user_id", star.idString), ("action_type", "1"), ("token", fan.token)])
                        #expect(reply.isSuccess)
                    }
                    let viewer = try await api.register("onlooker\(size)")
                    let cost = try await coldCost(of: .user, stack, users: fans + [star, viewer]) {
                        try await api.get("/douyin/relation/follower/list/", [("user_id", star.idString), ("token", viewer.token)])
                    }
                    costs.append(cost)
                }
                // The page, the profiles, the viewer's follow flags; the video counters in one call.
                #expect(costs.allSatisfy { $0 == Cost(statements: 3, calls: 1) }, "\(costs)")
            }
        }
    }
}
