/// Redis Cluster's key space: 16,384 slots; a key's slot is the CRC16 of its hash tag
/// (the part between the first `{` and the next `}`, when not empty) or of the whole key.
public enum RedisClusterSlots {
    public static let count = 16_384

    public static func slot(of key: some Collection<UInt8>) -> Int {
        Int(crc16(hashed(key)) % UInt16(count))
    }

    static func hashed<Key: Collection<UInt8>>(_ key: Key) -> Key.SubSequence {
        guard let open = key.firstIndex(of: UInt8(ascii: "{")) else { return key[...] }
        let afterOpen = key.index(after: open)
        guard let close = key[afterOpen...].firstIndex(of: UInt8(ascii: "}")), close != afterOpen else { return key[...] }
        return key[afterOpen..<close]
    }

    /// CRC16-CCITT (XMODEM), as Redis Cluster computes it.
    static func crc16(_ bytes: some Sequence<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        }
        return crc
    }

    /// Where a command's keys are, for the commands the services send.
    enum Keys: Equatable {
        /// No key: any node answers (PING, PUBLISH: cluster-wide).
        case none
        case one(at: Int)
        /// Every argument from `from` on is a key (MGET, DEL): split per key on a cluster.
        case each(from: Int)
    }

    static func keys(of command: [any RedisArgument]) -> Keys {
        guard let name = command.first.map({ String(decoding: $0.redisBytes, as: UTF8.self).uppercased() }) else { return .none }
        switch name {
        case "PING", "PUBLISH", "AUTH", "ASKING", "CLUSTER", "INFO", "ECHO", "HELLO", "READONLY", "SCRIPT", "DBSIZE":
            return .none
        case "MGET", "DEL", "UNLINK", "EXISTS", "TOUCH":
            return command.count > 1 ? .each(from: 1) : .none
        case "EVAL", "EVALSHA":
            let keyCount = command.count > 2 ? Int(String(decoding: command[2].redisBytes, as: UTF8.self)) ?? 0 : 0
            return keyCount > 0 ? .one(at: 3) : .none
        default:
            return command.count > 1 ? .one(at: 1) : .none
        }
    }
}
