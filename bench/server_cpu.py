"""Server CPU per request: what one read costs the service's own process, independent of the machine's other load.

Requests/s on a shared 2-core machine move by ±25 % between runs; the CPU time the server process spends per
request moves far less, so it is the figure to compare two versions of the code with. Start each version's
service (`coso serve --port P`), then run this against each, alternating, on the same data:

    .venv/bin/python bench/server_cpu.py --port 8101 --key "$KEY" --path /api/v1/members/<id> --path …

It opens `--connections` keep-alive connections (a minimal HTTP/1.1 client, as bench/org_tree.py's), warms up,
sends `--requests` GETs spread over the paths, and prints requests/s and the server's CPU milliseconds per request
(user + system time of the process listening on the port, read from /proc; Linux only).
"""

import argparse
import asyncio
import os
import subprocess
import time


def listener_pid(port: int) -> int:
    out = subprocess.run(["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
    start = out.find("pid=")
    if start < 0:
        raise SystemExit(f"nothing listens on port {port} (or its process is not readable)")
    return int(out[start + 4 :].split(",", 1)[0])


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def connection(port: int, key: str, paths: list[str], n: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for i in range(n):
        request = f"GET {paths[i % len(paths)]} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {key}\r\n\r\n"
        writer.write(request.encode())
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise SystemExit(f"{paths[i % len(paths)]} answered {head.splitlines()[0].decode()}")
        length = next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
        await reader.readexactly(int(length.split(b":", 1)[1]))
    writer.close()


async def measure(args: argparse.Namespace) -> None:
    pid = listener_pid(args.port)
    paths: list[str] = args.path
    per = max(1, args.requests // args.connections)
    await asyncio.gather(*(connection(args.port, args.key, paths, 100) for _ in range(args.connections)))
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    await asyncio.gather(
        *(connection(args.port, args.key, paths[k:] + paths[:k], per) for k in range(args.connections))
    )
    elapsed, cpu = time.perf_counter() - t0, cpu_seconds(pid) - cpu0
    total = per * args.connections
    print(f"{total / elapsed:.0f} req/s  server cpu {1e3 * cpu / total:.3f} ms/request  ({total} requests)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True, help="an API key (bearer token)")
    parser.add_argument("--path", action="append", required=True, help="a path to GET; repeat for several")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=8)
    asyncio.run(measure(parser.parse_args()))


if __name__ == "__main__":
    main()
