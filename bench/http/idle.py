#!/usr/bin/env python3
"""Idle keep-alive cost: open N connections to a server, each sending one request and then
staying idle; report the server's RSS growth per connection and how long a fresh request takes
while they are all open. Usage: idle.py PORT PID [N]"""
import resource, socket, sys, time

port, pid = int(sys.argv[1]), int(sys.argv[2])
count = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 1000), hard))

def rss_kb():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

def one_request(sock):
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
        chunk = sock.recv(4096)
        if not chunk:
            raise RuntimeError("closed")
        data += chunk
    return data

warm = socket.create_connection(("127.0.0.1", port))
one_request(warm)
time.sleep(0.5)
before = rss_kb()
socks = []
for i in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    socks.append(s)
for s in socks:
    s.recv(4096)
time.sleep(1.0)
after = rss_kb()
fresh = socket.create_connection(("127.0.0.1", port))
start = time.perf_counter()
one_request(fresh)
latency_ms = (time.perf_counter() - start) * 1000
print(f"idle_connections={count} rss_before_kb={before} rss_after_kb={after} "
      f"bytes_per_connection={(after - before) * 1024 // count} new_request_ms={latency_ms:.2f}")
for s in socks:
    s.close()
