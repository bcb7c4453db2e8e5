import DouyinDiscovery
import DouyinModels
import DouyinRPC
import Testing

/// Another service's answer, or the registry's list, never crashes or hangs a process.
@Suite struct UpstreamAnswerTests {
    static func user(_ id: UserID) -> User {
        User(
            id: id, name: "u\(id)", followCount: 0, followerCount: 0, isFollow: false, avatar: "", backgroundImage: "",
            signature: "", totalFavorited: 0, workCount: 0, favoriteCount: 0
        )
    }

    @Test func usersGivenTwiceKeepTheFirst() throws {
        var second = Self.user(1)
        second.name = "again"
        let byID = try UserRPC.Users.Response(users: [Self.user(1), second, Self.user(2)]).byID(asked: [1, 2])
        #expect(byID[1]?.name == "u1" && byID.count == 2)
    }

    @Test func aUserAskedForButMissingIsAnUpstreamError() {
        #expect(throws: DouyinError(.badUpstreamAnswer, "the user service did not return user 3")) {
            try UserRPC.Users.Response(users: [Self.user(1)]).byID(asked: [1, 3])
        }
        #expect(ErrorCode.badUpstreamAnswer.httpStatus == 503)
    }

    /// A list that repeats one instance (however it came about) still yields a pick.
    @Test(.timeLimit(.minutes(1))) func theBalancerPicksFromAListOfOneInstanceTwice() async {
        let instance = ServiceInstance(id: "a", service: .user, host: "127.0.0.1", httpPort: 1, rpcPort: 2, version: "t", startedAt: 0)
        let balancer = LoadBalancer(service: .user) { [instance, instance] }
        for _ in 0..<100 { #expect(await balancer.pick()?.id == "a") }
        let mixed = LoadBalancer(service: .user) { [instance, instance, ServiceInstance(id: "b", service: .user, host: "h", httpPort: 1, rpcPort: 2, version: "t", startedAt: 0)] }
        var seen: Set<String> = []
        for _ in 0..<200 { if let id = await mixed.pick()?.id { seen.insert(id) } }
        #expect(seen == ["a", "b"])
    }
}
