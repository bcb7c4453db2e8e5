"""WebSocket fan-out: many open sockets, messages pushed to them as fast as the
server acknowledges. Prints one line: RESULT <delivered/s> <sent/s> <sockets> <KiB per socket by pid...>.

Usage: ws_fanout.py WS_URL SENDER_TOKEN RECEIVER_IDS_AND_TOKENS SOCKETS_PER_USER SECONDS PID...
RECEIVER_IDS_AND_TOKENS is "id:token,id:token,...".
"""
import asyncio
import json
import sys
import time

import websockets


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def main():
    url, sender_token, receivers_arg, per_user, seconds = sys.argv[1:6]
    pids = sys.argv[6:]
    receivers = [(int(pair.split(":")[0]), pair.split(":")[1]) for pair in receivers_arg.split(",")]
    per_user, seconds = int(per_user), float(seconds)
    before = {pid: rss_kib(pid) for pid in pids}

    delivered = 0
    sockets = []
    for user_id, token in receivers:
        for _ in range(per_user):
            sockets.append(await websockets.connect(f"{url}?token={token}", max_queue=None, ping_interval=None))
    await asyncio.sleep(1)
    after = {pid: rss_kib(pid) for pid in pids}

    async def drain(socket):
        nonlocal delivered
        try:
            async for _ in socket:
                delivered += 1
        except websockets.ConnectionClosed:
            pass

    readers = [asyncio.create_task(drain(socket)) for socket in sockets]
    sender = await websockets.connect(f"{url}?token={sender_token}", max_queue=None, ping_interval=None)
    sent = 0
    start = time.monotonic()
    window = 32
    in_flight = 0
    while time.monotonic() - start < seconds:
        while in_flight < window:
            user_id = receivers[sent % len(receivers)][0]
            await sender.send(json.dumps({"to_user_id": user_id, "content": f"fan-out {sent}"}))
            sent += 1
            in_flight += 1
        ack = json.loads(await sender.recv())
        if ack.get("status_code") != 0:
            raise SystemExit(f"send failed: {ack}")
        in_flight -= 1
    while in_flight > 0:
        await sender.recv()
        in_flight -= 1
    await asyncio.sleep(2)  # let the last pushes arrive
    elapsed = time.monotonic() - start
    per_socket = " ".join(f"{(after[pid] - before[pid]) / len(sockets):.1f}" for pid in pids)
    print(f"RESULT {delivered / elapsed:.0f} {sent / elapsed:.0f} {len(sockets)} {per_socket}")
    for task in readers:
        task.cancel()
    await sender.close()
    for socket in sockets:
        await socket.close()


asyncio.run(main())
