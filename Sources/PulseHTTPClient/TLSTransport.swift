import COpenSSL
import Glibc
import PulseSystem
import Synchronization

/// The client's OpenSSL context: TLS 1.2+, peer verification on, trust from the system store
/// or a configured CA file. One per `HTTPClient`; sessions are made from it per connection.
final class TLSClientContext: @unchecked Sendable {
    // SSL_CTX is safe to share once configured (OpenSSL locks internally).
    let ctx: OpaquePointer

    init(_ configuration: HTTPClientConfiguration.TLS) throws(HTTPClientError) {
        guard let method = TLS_client_method(), let ctx = SSL_CTX_new(method) else {
            throw .tlsConfiguration("SSL_CTX_new failed: \(TLSClientContext.lastError())")
        }
        self.ctx = ctx
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        _ = SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil)
        // Partial writes + moving buffers: non-blocking writes retry from Swift arrays.
        _ = SSL_CTX_ctrl(ctx, SSL_CTRL_MODE, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER), nil)
        // Servers often close without close_notify; length-framed bodies still detect truncation.
        _ = SSL_CTX_set_options(ctx, 1 << 7)  // SSL_OP_IGNORE_UNEXPECTED_EOF (a macro Swift cannot import)
        if let file = configuration.trustedCAFile {
            guard SSL_CTX_load_verify_locations(ctx, file, nil) == 1 else {
                throw .tlsConfiguration("cannot load CA file \(file): \(TLSClientContext.lastError())")
            }
        }
        if configuration.trustedCAFile == nil || configuration.alsoTrustSystemStore {
            guard SSL_CTX_set_default_verify_paths(ctx) == 1 else {
                throw .tlsConfiguration("cannot load the system trust store: \(TLSClientContext.lastError())")
            }
        }
    }

    deinit { SSL_CTX_free(ctx) }

    /// The oldest error on this thread's OpenSSL queue, as text (and clears the queue).
    static func lastError() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "unknown error" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// TLS over a `LoopSocket`: SNI and host-name (or IP) verification for the URL's host; the
/// handshake and every read/write turn OpenSSL's WANT_READ/WANT_WRITE into readiness waits.
final class TLSTransport: ClientTransport, @unchecked Sendable {
    private let socket: LoopSocket
    private let ssl: OpaquePointer
    /// Serialises OpenSSL calls: a tunnel reads and writes from two tasks at once, and one
    /// SSL object must not be entered by two threads. Never held across an await.
    private let lock = Mutex(false)  // true once closed
    /// Decrypted bytes land here first (one reading task at a time).
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    private init(socket: LoopSocket, ssl: OpaquePointer) {
        self.socket = socket
        self.ssl = ssl
    }

    deinit { scratch.deallocate() }

    /// Runs the handshake; closes the socket on failure.
    static func connect(socket: LoopSocket, host: String, context: TLSClientContext, deadline: UInt64) async throws -> TLSTransport {
        guard let ssl = SSL_new(context.ctx) else {
            socket.close()
            throw HTTPClientError.tlsConfiguration("SSL_new failed: \(TLSClientContext.lastError())")
        }
        let transport = TLSTransport(socket: socket, ssl: ssl)
        do {
            guard SSL_set_fd(ssl, socket.fd) == 1 else { throw HTTPClientError.tlsConfiguration("SSL_set_fd failed") }
            if Self.isIPAddress(host) {
                // RFC 6066: no SNI for IP literals; verify the address against the SAN IPs.
                guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1 else {
                    throw HTTPClientError.tlsConfiguration("bad IP address \(host)")
                }
            } else {
                SSL_set_hostflags(ssl, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
                guard SSL_set1_host(ssl, host) == 1 else { throw HTTPClientError.tlsConfiguration("bad host name \(host)") }
                _ = host.withCString { SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: $0)) }
            }
            while true {
                ERR_clear_error()
                let rc = SSL_connect(ssl)
                if rc == 1 { break }
                switch SSL_get_error(ssl, rc) {
                case SSL_ERROR_WANT_READ: try await socket.wait(for: Epoll.readable, deadline: deadline, timeout: .connectTimeout)
                case SSL_ERROR_WANT_WRITE: try await socket.wait(for: Epoll.writable, deadline: deadline, timeout: .connectTimeout)
                default:
                    let verify = SSL_get_verify_result(ssl)
                    if verify != X509_V_OK {
                        throw HTTPClientError.tlsHandshakeFailed(reason: String(cString: X509_verify_cert_error_string(verify)))
                    }
                    throw HTTPClientError.tlsHandshakeFailed(reason: TLSClientContext.lastError())
                }
            }
            return transport
        } catch {
            transport.close()
            throw error
        }
    }

    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    func read(max: Int, deadline: UInt64, timeout: HTTPClientError) async throws -> [UInt8] {
        let window = UnsafeMutableRawBufferPointer(rebasing: scratch[..<min(max, scratch.count)])
        while true {
            let (n, code, reason) = lock.withLock { closed -> (Int32, Int32, String) in
                if closed { return (0, SSL_ERROR_ZERO_RETURN, "") }
                ERR_clear_error()
                let n = SSL_read(ssl, window.baseAddress, Int32(window.count))
                let code = n > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl, n)
                return (n, code, code == SSL_ERROR_SSL ? TLSClientContext.lastError() : "")
            }
            if n > 0 { return Array(UnsafeRawBufferPointer(rebasing: window[..<Int(n)])) }
            switch code {
            case SSL_ERROR_WANT_READ: try await socket.wait(for: Epoll.readable, deadline: deadline, timeout: timeout)
            case SSL_ERROR_WANT_WRITE: try await socket.wait(for: Epoll.writable, deadline: deadline, timeout: timeout)
            case SSL_ERROR_ZERO_RETURN: return []
            case SSL_ERROR_SYSCALL where errno == 0 || errno == ECONNRESET: return []
            default: throw HTTPClientError.io("TLS read: \(reason.isEmpty ? "error \(code)" : reason)")
            }
        }
    }

    func write(_ bytes: [UInt8], deadline: UInt64, timeout: HTTPClientError) async throws {
        var offset = 0
        while offset < bytes.count {
            let (n, code, reason) = lock.withLock { closed -> (Int32, Int32, String) in
                if closed { return (0, SSL_ERROR_ZERO_RETURN, "") }
                ERR_clear_error()
                let n = bytes.withUnsafeBytes { raw in SSL_write(ssl, raw.baseAddress! + offset, Int32(min(raw.count - offset, 1 << 30))) }
                let code = n > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl, n)
                return (n, code, code == SSL_ERROR_SSL ? TLSClientContext.lastError() : "")
            }
            if n > 0 {
                offset += Int(n)
                continue
            }
            switch code {
            case SSL_ERROR_WANT_READ: try await socket.wait(for: Epoll.readable, deadline: deadline, timeout: timeout)
            case SSL_ERROR_WANT_WRITE: try await socket.wait(for: Epoll.writable, deadline: deadline, timeout: timeout)
            case SSL_ERROR_SYSCALL, SSL_ERROR_ZERO_RETURN: throw HTTPClientError.connectionClosed
            default: throw HTTPClientError.io("TLS write: \(reason.isEmpty ? "error \(code)" : reason)")
            }
        }
    }

    func isReusable() -> Bool { lock.withLock { !$0 && SSL_pending(ssl) == 0 } && socket.isReusable() }

    func close() {
        let first = lock.withLock { closed -> Bool in
            if closed { return false }
            closed = true
            ERR_clear_error()
            _ = SSL_shutdown(ssl)  // best effort close_notify; never waits
            SSL_free(ssl)
            return true
        }
        if first { socket.close() }
    }
}
