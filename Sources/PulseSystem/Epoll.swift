import CLinuxShims
import Glibc

/// epoll, eventfd and timerfd calls, each through the syscall wrapper.
package enum Epoll {
    package static let readable = EPOLLIN.rawValue
    package static let writable = EPOLLOUT.rawValue
    package static let hangup = EPOLLHUP.rawValue | EPOLLRDHUP.rawValue
    package static let error = EPOLLERR.rawValue
    package static let exclusive = EPOLLEXCLUSIVE.rawValue
    package static let peerClosed = EPOLLRDHUP.rawValue

    /// `file` is injectable so tests can force the failure path.
    package static func create(file: Int32 = epoll_create1(Int32(EPOLL_CLOEXEC))) throws(SystemError) -> Int32 {
        guard file >= 0 else { throw SystemError(errno: errno, function: "epoll_create1") }
        return file
    }

    package static func control(_ epfd: Int32, _ op: Int32, _ fd: Int32, events: UInt32, data: UInt64) throws(SystemError) {
        var event = epoll_event()
        event.events = events
        event.data.u64 = data
        try syscallChecked("epoll_ctl") { epoll_ctl(epfd, op, fd, &event) }
    }

    package static func makeEventFD() throws(SystemError) -> Int32 {
        try syscallChecked("eventfd") { eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK)) }
    }

    package static func makeTimerFD() throws(SystemError) -> Int32 {
        try syscallChecked("timerfd_create") {
            timerfd_create(CLOCK_MONOTONIC, Int32(TFD_CLOEXEC) | Int32(TFD_NONBLOCK))
        }
    }

    /// Arms `fd` to fire once at the absolute monotonic time `deadline` (nanoseconds); 0 disarms.
    package static func armTimer(_ fd: Int32, deadline: UInt64) {
        var spec = itimerspec()
        spec.it_value.tv_sec = Int(deadline / 1_000_000_000)
        spec.it_value.tv_nsec = Int(deadline % 1_000_000_000)
        if deadline != 0 && spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0 { spec.it_value.tv_nsec = 1 }
        _ = timerfd_settime(fd, Int32(TFD_TIMER_ABSTIME), &spec, nil)
    }

    /// Drains the 8-byte counter of an eventfd or timerfd.
    package static func drainCounter(_ fd: Int32) {
        var value: UInt64 = 0
        _ = Glibc.read(fd, &value, 8)
    }
}
