import Glibc
import Testing
@testable import PulseSystem

/// How failing system calls reach callers: EINTR retried, EAGAIN as "would block", anything
/// else as a `SystemError` naming the call and its errno.
@Suite struct SystemCallTests {
    @Test func interruptedCallsAreRetried() throws {
        var attempts = 0
        let result = try syscall("test_call") { () -> Int32 in
            attempts += 1
            if attempts < 3 {
                errno = EINTR
                return -1
            }
            return 7
        }
        guard case .processed(let value) = result else {
            Issue.record("expected a result after the retries")
            return
        }
        #expect(value == 7)
        #expect(attempts == 3)
    }

    @Test(arguments: [EAGAIN, EWOULDBLOCK])
    func wouldBlockIsNotAnError(code: Int32) throws {
        let result = try syscall("read") { () -> Int in
            errno = code
            return -1
        }
        guard case .wouldBlock = result else {
            Issue.record("EAGAIN must map to .wouldBlock")
            return
        }
    }

    @Test func otherFailuresNameTheCallAndErrno() {
        #expect(throws: SystemError(errno: ECONNREFUSED, function: "connect")) {
            _ = try syscall("connect") { () -> Int32 in
                errno = ECONNREFUSED
                return -1
            }
        }
        #expect(throws: SystemError(errno: EBADF, function: "setsockopt")) {
            try syscallChecked("setsockopt") { () -> Int32 in
                errno = EBADF
                return -1
            }
        }
        let error = SystemError(errno: ECONNREFUSED, function: "connect")
        #expect(error.description == "connect failed: Connection refused (errno \(ECONNREFUSED))")
        #expect(SystemError.timedOut("read").errno == ETIMEDOUT)
    }

    @Test func durationsConvertToNanosecondsClampedAtZero() {
        #expect(Duration.milliseconds(1500).nanoseconds == 1_500_000_000)
        #expect(Duration.microseconds(3).nanoseconds == 3_000)
        #expect(Duration.seconds(-2).nanoseconds == 0)
    }
}
