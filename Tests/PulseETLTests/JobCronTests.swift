import Foundation
import PulseETL
import Testing

@Suite("Cron expressions")
struct JobCronTests {
    static func utc(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test(arguments: [
        // expression, after, next
        ("* * * * *", "2026-12-07T15:03:10Z", "2026-12-07T15:04:00Z"),
        ("*/15 * * * *", "2026-12-07T15:03:10Z", "2026-12-07T15:15:00Z"),
        ("0 */6 * * *", "2026-12-07T15:03:10Z", "2026-12-07T18:00:00Z"),
        ("30 2 * * *", "2026-12-07T15:03:10Z", "2026-12-08T02:30:00Z"),
        ("0 9 * * MON-FRI", "2026-12-11T10:00:00Z", "2026-12-14T09:00:00Z"),  // Friday after 9 → Monday
        ("0 0 1 JAN *", "2026-12-07T00:00:00Z", "2027-01-01T00:00:00Z"),
        ("0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"),     // leap day
        ("5,35 1-3 * * *", "2026-12-07T02:40:00Z", "2026-12-07T03:05:00Z"),
        ("0 12 * * 7", "2026-12-07T15:00:00Z", "2026-12-13T12:00:00Z"),     // 7 is Sunday
        ("0 0 13 * FRI", "2026-12-07T00:00:00Z", "2026-12-11T00:00:00Z"),   // either day field
        ("10-40/10 * * * *", "2026-12-07T15:31:00Z", "2026-12-07T15:40:00Z"),
        ("@daily", "2026-12-07T15:03:10Z", "2026-12-08T00:00:00Z"),
        ("@hourly", "2026-12-07T15:03:10Z", "2026-12-07T16:00:00Z"),
        ("0 0 31 * *", "2026-11-05T00:00:00Z", "2026-12-31T00:00:00Z"),     // skips 30-day months
    ])
    func nextRunTimes(expression: String, after: String, next: String) throws {
        #expect(try CronExpression(expression).next(after: Self.utc(after)) == Self.utc(next))
    }

    @Test(arguments: [
        ("61 * * * *", "minute"),
        ("* 24 * * *", "hour"),
        ("* * 0 * *", "day_of_month"),
        ("* * * 13 *", "month"),
        ("* * * FOO *", "month"),
        ("* * * * 8", "day_of_week"),
        ("* * * * MON-SUNDAY", "day_of_week"),
        ("*/0 * * * *", "minute"),
        ("5-1 * * * *", "minute"),
        ("1,,2 * * * *", "minute"),
        ("* * * *", "expression"),
        ("* * * * * *", "expression"),
        ("@sometimes", "expression"),
        ("", "expression"),
    ])
    func invalidExpressionsNameTheField(expression: String, field: String) {
        #expect(throws: CronExpression.Invalid.self) { try CronExpression(expression) }
        do { _ = try CronExpression(expression) } catch { #expect(error.field == field) }
    }

    @Test func impossibleDatesHaveNoNextRun() throws {
        #expect(try CronExpression("0 0 31 2 *").next(after: Date()) == nil)
    }
}
