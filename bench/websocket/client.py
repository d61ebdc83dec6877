"""WebSocket echo load: CONNECTIONS clients each send a 64-byte binary message and wait for
the echo, for SECONDS. Prints the total number of round trips.
Usage: python3 client.py PORT SECONDS CONNECTIONS"""
import asyncio, sys, time
from websockets.asyncio.client import connect

async def worker(port, deadline, counts, i):
    payload = bytes(64)
    async with connect("ws://127.0.0.1:%d/" % port, compression=None, max_queue=None) as ws:
        n = 0
        while time.monotonic() < deadline:
            await ws.send(payload)
            await ws.recv()
            n += 1
        counts[i] = n

async def main():
    port, seconds, conns = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    counts = [0] * conns
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(worker(port, deadline, counts, i) for i in range(conns)))
    print(sum(counts))

asyncio.run(main())
