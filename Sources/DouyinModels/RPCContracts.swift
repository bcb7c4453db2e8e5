/// An RPC method: its wire name and the types it carries.
///
/// Services implement methods by name; callers call them by type, so the two
/// sides cannot disagree on a payload without the compiler noticing.
public protocol RPCMethod: Sendable {
    associatedtype Request: Codable & Sendable
    associatedtype Response: Codable & Sendable
    /// `service.method`, unique across the system.
    static var name: String { get }
    /// Safe to send again when the first attempt's outcome is unknown.
    static var isIdempotent: Bool { get }
}

public struct Empty: Codable, Sendable, Equatable {
    public init() {}
}

/// Methods of `douyin-auth`.
public enum AuthRPC {
    /// The public halves of the token signing keys, so verifiers need no call per request.
    public enum PublicKeys: RPCMethod {
        public typealias Request = Empty
        public struct Response: Codable, Sendable, Equatable {
            public var keys: [PublicKey]
            public init(keys: [PublicKey]) { self.keys = keys }
        }
        public static let name = "auth.publicKeys"
        public static let isIdempotent = true
    }

    public struct PublicKey: Codable, Sendable, Equatable {
        public var kid: String
        /// Raw 32-byte Ed25519 public key, base64url without padding.
        public var publicKey: String
        public init(kid: String, publicKey: String) {
            self.kid = kid
            self.publicKey = publicKey
        }
    }
}

/// Methods of `douyin-user`.
public enum UserRPC {
    /// Creates the profile of a newly registered user. Idempotent on `id`.
    public enum CreateProfile: RPCMethod {
        public struct Request: Codable, Sendable, Equatable {
            public var id: UserID
            public var name: String
            public init(id: UserID, name: String) {
                self.id = id
                self.name = name
            }
        }
        public typealias Response = Empty
        public static let name = "user.createProfile"
        public static let isIdempotent = true
    }

    /// Removes a profile whose registration did not complete. Idempotent.
    public enum DeleteProfile: RPCMethod {
        public struct Request: Codable, Sendable, Equatable {
            public var id: UserID
            public init(id: UserID) { self.id = id }
        }
        public typealias Response = Empty
        public static let name = "user.deleteProfile"
        public static let isIdempotent = true
    }

    /// User objects for many ids at once, relative to `viewer`. Unknown ids are left out.
    public enum Users: RPCMethod {
        public struct Request: Codable, Sendable, Equatable {
            public var ids: [UserID]
            public var viewer: UserID?
            public init(ids: [UserID], viewer: UserID?) {
                self.ids = ids
                self.viewer = viewer
            }
        }
        public struct Response: Codable, Sendable, Equatable {
            public var users: [User]
            public init(users: [User]) { self.users = users }
        }
        public static let name = "user.users"
        public static let isIdempotent = true
    }
}

extension UserRPC.Users.Request: BinaryCodable {
    public init(binary reader: inout BinaryReader) throws(BinaryReader.Malformed) {
        self.init(ids: try reader.array { reader throws(BinaryReader.Malformed) in try reader.int() }, viewer: try reader.optional())
    }

    public func write(binary writer: inout BinaryWriter) {
        writer.array(ids) { $0.int($1) }
        writer.optional(viewer)
    }
}

extension UserRPC.Users.Response: BinaryCodable {
    public init(binary reader: inout BinaryReader) throws(BinaryReader.Malformed) {
        self.init(users: try reader.array { reader throws(BinaryReader.Malformed) in try User(binary: &reader) })
    }

    public func write(binary writer: inout BinaryWriter) {
        writer.array(users) { $1.write(binary: &$0) }
    }
}

extension UserRPC.Users.Response {
    /// The users by id. Another service's answer must never crash this process: an id
    /// given twice keeps its first user, and an answer without one of `asked` is refused.
    public func byID(asked: some Sequence<UserID>) throws(DouyinError) -> [UserID: User] {
        var byID = [UserID: User](minimumCapacity: users.count)
        for user in users where byID[user.id] == nil { byID[user.id] = user }
        for id in asked where byID[id] == nil {
            throw DouyinError(.badUpstreamAnswer, "the user service did not return user \(id)")
        }
        return byID
    }
}

extension UserRPC {
    /// Which of `ids` name existing users.
    public enum Existing: RPCMethod {
        public struct Request: Codable, Sendable, Equatable {
            public var ids: [UserID]
            public init(ids: [UserID]) { self.ids = ids }
        }
        public struct Response: Codable, Sendable, Equatable {
            public var ids: [UserID]
            public init(ids: [UserID]) { self.ids = ids }
        }
        public static let name = "user.existing"
        public static let isIdempotent = true
    }
}

extension UserRPC {
    /// Which of `ids` `viewer` follows.
    public enum Followed: RPCMethod {
        public struct Request: Codable, Sendable, Equatable {
            public var viewer: UserID
            public var ids: [UserID]
            public init(viewer: UserID, ids: [UserID]) {
                self.viewer = viewer
                self.ids = ids
            }
        }
        public struct Response: Codable, Sendable, Equatable {
            public var ids: [UserID]
            public init(ids: [UserID]) { self.ids = ids }
        }
        public static let name = "user.followed"
        public static let isIdempotent = true
    }
}

/// Methods of `douyin-chat`.
public enum ChatRPC {
    /// The latest message between `user` and each of `peers` (peers with none are left out).
    public enum LatestMessages: RPCMethod {
        public struct Request: Codable, Sendable, Equatable {
            public var user: UserID
            public var peers: [UserID]
            public init(user: UserID, peers: [UserID]) {
                self.user = user
                self.peers = peers
            }
        }
        public struct Response: Codable, Sendable, Equatable {
            public var latest: [UserID: Message]
            public init(latest: [UserID: Message]) { self.latest = latest }
        }
        public static let name = "chat.latestMessages"
        public static let isIdempotent = true
    }
}

/// Methods of `douyin-video`.
public enum VideoRPC {
    /// Video-owned counters for many users at once; users with no videos or likes get zeros.
    public enum UserStats: RPCMethod {
        public struct Request: Codable, Sendable, Equatable {
            public var ids: [UserID]
            public init(ids: [UserID]) { self.ids = ids }
        }
        public struct Response: Codable, Sendable, Equatable {
            public var stats: [UserID: UserVideoStats]
            public init(stats: [UserID: UserVideoStats]) { self.stats = stats }
        }
        public static let name = "video.userStats"
        public static let isIdempotent = true
    }
}
