import DouyinModels
import Foundation
import Testing

/// The wire models write JSON by hand: what they write must decode to the same
/// values through Foundation's decoder, whatever the strings hold.
@Suite struct JSONWriterTests {
    static let awkward = [
        "", "plain", "quote \" backslash \\ slash /", "tab\tnewline\ncr\r", "\u{01}\u{1F}\u{7F}", "café e\u{301}",
        "😀 emoji", "中文标题", "</script>", "\u{2028}\u{2029}",
    ]

    static func user(_ name: String, id: Int64 = 9_007_199_254_740_991) -> User {
        User(
            id: id, name: name, followCount: 0, followerCount: 12, isFollow: true, avatar: "http://h/a.png",
            backgroundImage: name, signature: name, totalFavorited: Int64.max, workCount: 3, favoriteCount: 1
        )
    }

    func roundTrip<T: Codable & Equatable & JSONObjectWritable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let decoded = try JSONDecoder().decode(T.self, from: Data(value.jsonBytes))
        #expect(decoded == value, sourceLocation: sourceLocation)
    }

    @Test func modelsDecodeToThemselves() throws {
        for text in Self.awkward {
            let author = Self.user(text)
            try roundTrip(author)
            try roundTrip(Video(
                id: 1, author: author, playURL: "http://h/media/v/\(text)", coverURL: "https://h/c", favoriteCount: 0,
                commentCount: 2, isFavorite: false, title: text
            ))
            try roundTrip(Comment(id: 5, user: author, content: text, createDate: "11-29"))
            try roundTrip(Message(id: 6, toUserID: 1, fromUserID: 2, content: text, createTime: 1_764_400_000_000))
            try roundTrip(FriendUser(user: author, message: text, messageType: 1))
            try roundTrip(StatusEnvelope(statusCode: -1, statusMessage: text))
        }
        try roundTrip(FeedResponse(nextTime: 0, videoList: []))
        try roundTrip(VideoListResponse([], nextCursor: ""))
        try roundTrip(UserListResponse([Self.user("a"), Self.user("b", id: 2)], nextCursor: "cDE"))
    }

    @Test func fieldsAreWrittenAsTheContractNamesThem() throws {
        let friend = FriendUser(user: Self.user("x", id: 7), message: "hi", messageType: 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(friend.jsonBytes)) as? [String: Any])
        #expect(Set(object.keys) == [
            "id", "name", "follow_count", "follower_count", "is_follow", "avatar", "background_image", "signature",
            "total_favorited", "work_count", "favorite_count", "message", "msgType",
        ])
        #expect(String(decoding: UserListResponse([FriendUser](), nextCursor: "").jsonBytes, as: UTF8.self) == #"{"user_list":[],"next_cursor":""}"#)
    }

    @Test func integersAndEscapesAreExact() {
        var writer = JSONWriter()
        writer.array([Int64.min, -1, 0, 7, 1_000_000, Int64.max]) { $0.integer($1) }
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "[-9223372036854775808,-1,0,7,1000000,9223372036854775807]")
        var strings = JSONWriter()
        strings.string("a\"b\\c/d\u{0}\u{1F}\n")
        #expect(String(decoding: strings.bytes, as: UTF8.self) == #""a\"b\\c/d\u0000\u001f\n""#)
    }
}
