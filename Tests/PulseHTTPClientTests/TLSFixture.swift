import Foundation
import PulseService
import Testing

/// A throwaway PKI made with the `openssl` CLI (a CA; server certificates that are good,
/// for the wrong host, expired, and self-signed) and Python `ssl` HTTPS servers serving them
/// on 127.0.0.1:0. `stop()` kills the servers and deletes the folder.
final class TLSFixture: @unchecked Sendable {
    let directory: String
    var caFile: String { directory + "/ca.pem" }
    private var servers: [String: (pid: pid_t, port: Int)] = [:]

    init() throws {
        directory = NSTemporaryDirectory() + "pulse-tls-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try makeCertificates()
    }

    /// Runs a command in the fixture folder; throws with its output when it fails.
    private func run(_ arguments: [String]) throws {
        let log = directory + "/command.log"
        let pid = try ChildProcess.spawn(ChildSpec(name: "cmd", executable: "/usr/bin/env", arguments: ["-C", directory] + arguments,
                                                   logFile: log))
        var exit: ChildExit?
        while exit == nil {
            exit = ChildProcess.reap(pid)
            if exit == nil { usleep(5_000) }
        }
        guard exit == .exited(0) else {
            throw FixtureError(message: "\(arguments.joined(separator: " ")): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
    }

    private func write(_ name: String, _ text: String) throws {
        try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
    }

    private func makeCertificates() throws {
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try run(["openssl", "req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Pulse Test CA",
                 "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try write("localhost.ext", "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
        try write("other.ext", "subjectAltName=DNS:other.example\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
        for name in ["good", "wronghost", "expired"] {
            try run(["openssl", "req"] + ec + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(name)"])
        }
        try run(["openssl", "x509", "-req", "-in", "good.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", "good.pem", "-days", "2", "-extfile", "localhost.ext"])
        try run(["openssl", "x509", "-req", "-in", "wronghost.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", "wronghost.pem", "-days", "2", "-extfile", "other.ext"])
        // `openssl ca` is the CLI's way to set dates in the past.
        try write("index.txt", "")
        try write("serial", "1000\n")
        try write("ca.cnf", """
            [ ca ]
            default_ca = test
            [ test ]
            dir = \(directory)
            database = $dir/index.txt
            new_certs_dir = $dir
            serial = $dir/serial
            default_md = sha256
            policy = any
            [ any ]
            commonName = supplied
            """)
        try run(["openssl", "ca", "-batch", "-notext", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-in", "expired.csr",
                 "-out", "expired.pem", "-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-extfile", "localhost.ext"])
        try run(["openssl", "req", "-x509"] + ec + ["-keyout", "untrusted.key", "-out", "untrusted.pem", "-days", "2",
                 "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        try write("server.py", """
            import http.server, os, ssl, sys
            cert, key, portfile = sys.argv[1:4]
            class Handler(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
                def do_GET(self):
                    body = ("tls ok " + self.path).encode()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                def log_message(self, *args):
                    pass
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            server.socket = context.wrap_socket(server.socket, server_side=True)
            with open(portfile + ".tmp", "w") as f:
                f.write(str(server.server_address[1]))
            os.rename(portfile + ".tmp", portfile)
            server.serve_forever()
            """)
    }

    /// The port of an HTTPS server presenting `<name>.pem` (started on first use).
    func port(_ name: String) async throws -> Int {
        if let server = servers[name] { return server.port }
        let portFile = "\(directory)/\(name).port"
        let pid = try ChildProcess.spawn(ChildSpec(name: name, executable: "/usr/bin/env",
            arguments: ["-C", directory, "python3", "server.py", "\(name).pem", "\(name).key", portFile], logFile: "\(directory)/\(name).log"))
        for _ in 0..<500 {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text) {
                servers[name] = (pid, port)
                return port
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        _ = ChildProcess.send(SIGKILL, to: pid)
        throw FixtureError(message: "TLS server \(name) did not start: \((try? String(contentsOfFile: "\(directory)/\(name).log", encoding: .utf8)) ?? "")")
    }

    func stop() {
        for (_, server) in servers {
            _ = ChildProcess.send(SIGKILL, to: server.pid)
            for _ in 0..<200 where ChildProcess.reap(server.pid) == nil { usleep(5_000) }
        }
        servers = [:]
        try? FileManager.default.removeItem(atPath: directory)
    }

    struct FixtureError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
