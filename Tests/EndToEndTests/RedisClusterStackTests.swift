import DouyinRedis
import DouyinTestSupport
import Foundation
import Testing

extension EndToEnd {
    /// The whole product on a three-primary Redis Cluster: registry, caches' versions, login
    /// throttle and live-chat delivery all work with their keys spread over the nodes.
    @Suite struct RedisClusterStackTests {
        @Test func theWholeProductRunsOnARedisCluster() async throws {
            try await Stack.with(redis: .init(cluster: true)) { stack in
                let chat = LiveChatTests()
                try await chat.startSecondChatInstance(stack)
                let api = stack.api
                let ann = try await api.register("ann")
                let bob = try await api.register("bob")
                #expect(try await api.post("/douyin/user/login/", [("username", "ann"), ("password", "secret12")]).isSuccess)
                let video = try await api.publishClip(as: bob, title: "served from a cluster")
                for _ in 0..<2 {  // a repeated request counts once
                    #expect(try await api.post("/douyin/relation/action/", [("token", ann.token), ("to_user_id", bob.idString), ("action_type", "1")]).isSuccess)
                    #expect(try await api.post("/douyin/favorite/action/", [("token", ann.token), ("video_id", String(video)), ("action_type", "1")]).isSuccess)
                }
                let feed = try await api.get("/douyin/feed/", [("token", ann.token)])
                #expect(feed.text.contains(#""is_favorite":true"#) && feed.text.contains(#""favorite_count":1"#), "\(feed.text)")
                let user = try await api.get("/douyin/user/", [("token", ann.token), ("user_id", bob.idString)])
                #expect(user.text.contains(#""is_follow":true"#) && user.text.contains(#""follower_count":1"#), "\(user.text)")

                // Live chat across two chat instances: delivery is pub/sub on the cluster.
                let (socketA, socketB) = try await chat.socketsOnTwoInstances(stack, ann, bob)
                socketA.send(#"{"to_user_id": \#(bob.id), "content": "over the cluster"}"#)
                #expect(chat.json(await socketA.next())["status_code"] as? Int == 0)
                #expect(chat.json(await socketB.next(within: .seconds(2)))["content"] as? String == "over the cluster")
                await socketA.close()
                await socketB.close()

                // The product's keys are spread over the nodes, not kept on one.
                let cluster = try #require(stack.redisCluster)
                var nodesWithKeys = 0
                for node in cluster.nodes {
                    try await cluster.admin(node) { client in
                        if try await client.send("DBSIZE").integer ?? 0 > 0 { nodesWithKeys += 1 }
                    }
                }
                #expect(nodesWithKeys >= 2)
                #expect(stack.exitedProcesses().isEmpty)
            }
        }

        /// A single server named as a cluster, and a cluster node named as a single server:
        /// either stops the start, naming the setting.
        @Test func aClusterSettingThatDoesNotMatchTheServersStopsTheStart() async throws {
            let database = try await TestServers.makeDatabase()
            let single = try await RedisServerProcess.start(arguments: [], admin: nil)
            defer { single.stop() }
            let asCluster = try await StartAttempt.run(.user, environment: [
                "DOUYIN_POSTGRES_URL": database, "DOUYIN_REDIS_CLUSTER_NODES": "127.0.0.1:\(single.port)",
            ], wait: .seconds(10))
            #expect(asCluster.status == 1, "still running (nil): retrying instead of stopping")
            #expect(asCluster.output.contains("DOUYIN_REDIS_CLUSTER_NODES") && asCluster.output.contains("single server"))

            let cluster = try await RedisClusterProcess.start()
            defer { cluster.stop() }
            let asSingle = try await StartAttempt.run(.user, environment: [
                "DOUYIN_POSTGRES_URL": database, "DOUYIN_REDIS_PORT": String(cluster.nodes[0].port),
            ], wait: .seconds(10))
            #expect(asSingle.status == 1, "still running (nil): retrying instead of stopping")
            #expect(asSingle.output.contains("DOUYIN_REDIS_CLUSTER_NODES") && asSingle.output.contains("cluster node"))
        }
    }
}
