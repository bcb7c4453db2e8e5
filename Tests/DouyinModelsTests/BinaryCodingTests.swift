import DouyinModels
@testable import DouyinRPC
import Foundation
import NIOCore
import Testing

@Suite struct BinaryCodingTests {
    static let users = JSONWriterTests.awkward.enumerated().map { index, text in
        User(
            id: Int64(index + 1), name: text, followCount: Int64.max, followerCount: 0, isFollow: index % 2 == 0,
            avatar: text, backgroundImage: "", signature: text, totalFavorited: -1, workCount: Int64.min, favoriteCount: 3
        )
    }

    @Test func usersRoundTrip() throws {
        let answer = UserRPC.Users.Response(users: Self.users)
        #expect(try RPCCoding.decode(UserRPC.Users.Response.self, from: RPCCoding.encode(answer)) == answer)
        for request in [UserRPC.Users.Request(ids: [1, 2, 9_007_199_254_740_991], viewer: nil), .init(ids: [], viewer: 42)] {
            #expect(try RPCCoding.decode(UserRPC.Users.Request.self, from: RPCCoding.encode(request)) == request)
        }
    }

    /// A peer of an older build sends JSON: still understood.
    @Test func jsonIsStillRead() throws {
        let answer = UserRPC.Users.Response(users: Self.users)
        let json = ByteBuffer(data: try JSONEncoder().encode(answer))
        #expect(try RPCCoding.decode(UserRPC.Users.Response.self, from: json) == answer)
    }

    /// Every cut of a payload, and trailing bytes, are refused without a trap.
    @Test func damagedPayloadsAreRefused() throws {
        let whole = try RPCCoding.encode(UserRPC.Users.Response(users: Array(Self.users.prefix(3))))
        for length in 1..<whole.readableBytes {
            let cut = whole.getSlice(at: 0, length: length)!
            #expect(throws: (any Error).self) { try RPCCoding.decode(UserRPC.Users.Response.self, from: cut) }
        }
        var longer = whole
        longer.writeInteger(UInt8(0))
        #expect(throws: (any Error).self) { try RPCCoding.decode(UserRPC.Users.Response.self, from: longer) }
        // A count far beyond the bytes that follow, and a string that is not UTF-8.
        for bytes: [UInt8] in [[0, 0xFE, 0xFF, 0xFF, 0xFF, 0x0F], [0, 2, 2, 4, 0xFF, 0xFE]] {
            #expect(throws: (any Error).self) { try RPCCoding.decode(UserRPC.Users.Response.self, from: ByteBuffer(bytes: bytes)) }
        }
    }
}
