import Foundation
import Testing
@testable import VideoService

/// A comment's `create_date` is `MM-DD` in UTC+08:00 (API.md 4), computed by arithmetic:
/// it must agree with Foundation's calendar everywhere, day boundaries and leap days included.
struct CreateDateTests {
    static func byCalendar(_ milliseconds: Int64) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        let parts = calendar.dateComponents([.month, .day], from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
        return String(format: "%02d-%02d", parts.month ?? 0, parts.day ?? 0)
    }

    @Test func boundariesOfTheShiftedDay() {
        // 2024-02-28T16:00:00Z is 2024-02-29 00:00 in UTC+8 (a leap day); one ms before is still the 28th.
        #expect(Interactions.createDate(1_709_136_000_000) == "02-29")
        #expect(Interactions.createDate(1_709_136_000_000 - 1) == "02-28")
        #expect(Interactions.createDate(0) == "01-01")
        #expect(Interactions.createDate(-8 * 3_600_000 - 1) == "12-31")
    }

    @Test func agreesWithTheCalendarOverCenturies() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            // 1900 to 2200.
            let milliseconds = Int64.random(in: -2_208_988_800_000...7_258_118_400_000, using: &generator)
            #expect(Interactions.createDate(milliseconds) == Self.byCalendar(milliseconds), "at \(milliseconds)")
        }
    }
}
