import NIOCore

/// Commands on a Redis Cluster: each goes to the node that serves its key's slot, in one
/// pipeline per node; `MOVED` and `ASK` are followed, a node that went away sends the
/// client to the map again. Multi-key reads and deletes (`MGET`, `DEL`) are split per key
/// and their replies put back together, so callers need not know about slots.
extension RedisClient {
    /// Redirections and retries one command may take before it fails.
    static let maxClusterAttempts = 6

    func clusterPipeline(_ commands: [[any RedisArgument]], topology: RedisClusterTopology, on eventLoop: any EventLoop) async throws -> [RedisValue] {
        // One command per key, each with its key's slot (nil: keyless, any node answers).
        var singles: [[any RedisArgument]] = []
        var slots: [Int?] = []
        var parts: [Range<Int>] = []
        for command in commands {
            let start = singles.count
            switch RedisClusterSlots.keys(of: command) {
            case .each(let from) where command.count - from > 1:
                // MGET's pieces are GETs; DEL's and the others' are themselves with one key.
                let name: any RedisArgument = Self.name(of: command) == "MGET" ? "GET" : command[0]
                for key in command[from...] {
                    singles.append([name, key])
                    slots.append(RedisClusterSlots.slot(of: key.redisBytes))
                }
            case .one(let index), .each(let index):
                singles.append(command)
                slots.append(index < command.count ? RedisClusterSlots.slot(of: command[index].redisBytes) : nil)
            case .none:
                singles.append(command)
                slots.append(nil)
            }
            parts.append(start..<singles.count)
        }
        let replies = try await route(singles, slots: slots, topology: topology, on: eventLoop)
        return zip(commands, parts).map { command, range in
            guard range.count > 1 else { return replies[range.lowerBound] }
            let pieces = Array(replies[range])
            if let error = pieces.first(where: { if case .error = $0 { return true } else { return false } }) { return error }
            // MGET answers an array; DEL and the other counters the sum.
            return Self.name(of: command) == "MGET" ? .array(pieces) : .integer(pieces.reduce(0) { $0 + ($1.integer ?? 0) })
        }
    }

    private static func name(of command: [any RedisArgument]) -> String {
        String(decoding: command[0].redisBytes, as: UTF8.self).uppercased()
    }

    private func route(
        _ commands: [[any RedisArgument]], slots: [Int?], topology: RedisClusterTopology, on eventLoop: any EventLoop
    ) async throws -> [RedisValue] {
        let read: @Sendable (RedisNode) async throws -> RedisValue = { [self] node in
            let reply = try await exchange([["CLUSTER", "SLOTS"]], with: node, on: eventLoop)[0]
            if case .error(let message) = reply { throw RedisError.reply(message) }
            return reply
        }
        var replies = [RedisValue?](repeating: nil, count: commands.count)
        var pending = Array(commands.indices)
        var asking: [Int: RedisNode] = [:]
        var map = try await topology.map(reading: read)
        for attempt in 1...Self.maxClusterAttempts {
            // Per node, the commands for it (an ASK-redirected one goes to where it was sent, this once).
            var byNode: [RedisNode: [Int]] = [:]
            for index in pending {
                let node = asking[index] ?? slots[index].flatMap(map.node(for:)) ?? map.nodes.first ?? topology.seeds[0]
                byNode[node, default: []].append(index)
            }
            var retry: [Int] = []
            var unreachable: NodeUnreachable?
            var clusterDown = false
            let groups = Array(byNode)
            let batches = groups.map { node, indices in
                (node: node, commands: indices.flatMap { index -> [[any RedisArgument]] in
                    asking[index] != nil ? [["ASKING"], commands[index]] : [commands[index]]
                })
            }
            for ((node, indices), sent) in zip(groups, try await exchangeAll(batches, on: eventLoop)) {
                let answers: [RedisValue]
                switch sent {
                case .success(let replies): answers = replies
                case .failure(let error):
                    // Gone (failed over, removed): nothing was sent; the map will say who serves now.
                    unreachable = error
                    retry += indices
                    continue
                }
                var position = 0
                for index in indices {
                    if asking.removeValue(forKey: index) != nil { position += 1 }  // ASKING's own +OK
                    let answer = answers[position]
                    position += 1
                    if let redirection = RedisRedirection(answer, from: node) {
                        switch redirection.kind {
                        case .moved: topology.moved(redirection.slot, to: redirection.node, reading: read)
                        case .ask: asking[index] = redirection.node
                        }
                        retry.append(index)
                    } else if case .error(let message) = answer, message.hasPrefix("TRYAGAIN") {
                        retry.append(index)  // a multi-key command met a slot mid-migration
                    } else if case .error(let message) = answer, message.hasPrefix("CLUSTERDOWN"), attempt < Self.maxClusterAttempts {
                        // The node has not yet heard that a failover covered every slot again; the
                        // command was not run, so asking again once the cluster settles is safe.
                        clusterDown = true
                        retry.append(index)
                    } else {
                        replies[index] = answer
                    }
                }
            }
            pending = retry
            if pending.isEmpty { break }
            if attempt == Self.maxClusterAttempts {
                if let unreachable { throw RedisError.connection(unreachable.message) }
                throw RedisError.reply("cluster redirected a command \(attempt) times")
            }
            if unreachable != nil || clusterDown {
                // A node went away or the cluster is failing over: wait for it to settle, then
                // ask it who serves what.
                try await Task.sleep(for: .milliseconds(100 * attempt))
                map = (try? await topology.refresh(reading: read)) ?? map
            } else {
                map = topology.current ?? map  // with what MOVED said
            }
        }
        return replies.map { $0 ?? .null }
    }

    /// Each node's batch, all at once (a page's keys usually live on every node).
    private func exchangeAll(
        _ batches: [(node: RedisNode, commands: [[any RedisArgument]])], on eventLoop: any EventLoop
    ) async throws -> [Result<[RedisValue], NodeUnreachable>] {
        func one(_ batch: (node: RedisNode, commands: [[any RedisArgument]])) async throws -> Result<[RedisValue], NodeUnreachable> {
            do {
                return .success(try await exchange(batch.commands, with: batch.node, on: eventLoop))
            } catch let error as NodeUnreachable {
                return .failure(error)
            }
        }
        guard batches.count > 1 else { return [try await one(batches[0])] }
        return try await withThrowingTaskGroup(of: (Int, Result<[RedisValue], NodeUnreachable>).self) { group in
            for (index, batch) in batches.enumerated() {
                group.addTask { (index, try await one(batch)) }
            }
            var results = [Result<[RedisValue], NodeUnreachable>?](repeating: nil, count: batches.count)
            for try await (index, result) in group { results[index] = result }
            return results.map { $0! }
        }
    }
}
