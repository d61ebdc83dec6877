import Foundation
import Testing

@testable import PulsePostgres

/// Decoders and parsers without a server.
struct DecodingUnitTests {
    @Test(arguments: [
        ("2026-01-02 03:04:05+00", 1_767_323_045.0),
        ("2026-01-02 03:04:05.25+02", 1_767_315_845.25),
        ("2026-01-02 03:04:05-05:30", 1_767_342_845.0),
        ("2026-01-02 03:04:05", 1_767_323_045.0),
        ("1999-12-31 23:59:59.999999+00", 946_684_799.999999),
    ])
    func timestampText(text: String, expected: Double) throws {
        let date = try #require(PostgresTimestamp.parse(text))
        #expect(abs(date.timeIntervalSince1970 - expected) < 0.000_001)
    }

    @Test func timestampGarbageRejected() {
        #expect(PostgresTimestamp.parse("2026-13") == nil)
        #expect(PostgresTimestamp.parse("yesterday") == nil)
        #expect(PostgresTimestamp.parse("2026-01-02 03:04:05+00 trailing") == nil)
    }

    @Test func timestampFormatRoundTrips() throws {
        let date = Date(timeIntervalSince1970: 1_764_000_000.123456)
        let text = PostgresTimestamp.format(date)
        #expect(text == "2025-11-24T16:00:00.123456Z")
        let back = try #require(PostgresTimestamp.parse(text))
        #expect(abs(back.timeIntervalSince1970 - date.timeIntervalSince1970) < 0.000_001)
    }

    @Test func arrayTextParsing() {
        #expect(PostgresArrayText.parse("{}") == [])
        #expect(PostgresArrayText.parse("{1,2,3}") == ["1", "2", "3"])
        #expect(PostgresArrayText.parse(#"{"a,b",NULL,"NULL","q\"t"}"#) == ["a,b", nil, "NULL", "q\"t"])
        #expect(PostgresArrayText.parse("{{1,2},{3,4}}") == nil)
        #expect(PostgresArrayText.parse("{\"open") == nil)
        #expect(PostgresArrayText.parse("[0:1]={5,6}") == ["5", "6"])
        let elements: [String?] = ["x", nil, "a\"b\\c", ""]
        #expect(PostgresArrayText.parse(PostgresArrayText.literal(elements)) == elements)
    }

    @Test func lsnOrdering() throws {
        let a = try #require(LogSequenceNumber("0/16B3748"))
        let b = try #require(LogSequenceNumber("1/0"))
        #expect(a < b && b.value == 1 << 32 && a.description == "0/16B3748")
        #expect(LogSequenceNumber("garbage") == nil)
    }

    @Test(arguments: [
        ("23505", 409, "conflict"), ("23503", 400, "reference_not_found"), ("22P02", 400, "invalid_input"),
        ("42P01", 500, "database_error"), ("08006", 503, "database_unavailable"), ("40001", 409, "retry_transaction"),
    ])
    func serverErrorMapping(sqlState: String, status: Int, code: String) {
        let error = PostgresError(.server, message: "secret detail SELECT * FROM x", sqlState: sqlState, detail: "Key (email)")
        #expect(error.httpStatus == status && error.publicCode == code)
        #expect(error.description.contains(sqlState) && error.description.contains("Key (email)"))
    }

    @Test func poolTimeoutAndUnavailableAre503() {
        #expect(PostgresError(.poolTimeout, message: "").httpStatus == 503)
        #expect(PostgresError(.unavailable, message: "").httpStatus == 503)
    }

    @Test func connectionStringValidation() throws {
        #expect(throws: PostgresError.self) { try ConnectionString.validate("") }
        #expect(throws: PostgresError.self) { try ConnectionString.validate("host=a bogus_keyword=1") }
        #expect(throws: PostgresError.self) { try ConnectionString.validate("postgresql://u@[::1/db") }
        try ConnectionString.validate("postgresql://u:p@127.0.0.1:5432/db")
        #expect(!ConnectionString.redacted("host=h password=hunter2").contains("hunter2"))
    }
}
