import DouyinTestSupport
import Testing

/// Every end-to-end suite runs inside this one, one test at a time: each test
/// starts a whole stack (five services and a Redis), and several at once would
/// only compete for the same two cores.
@Suite(.serialized, .enabled(if: TestServers.enabled, TestServers.skipReason))
enum EndToEnd {}
