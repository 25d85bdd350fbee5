"""A small keep-alive HTTP/1.1 load generator on raw asyncio streams (loopback only).

It keeps `connections` requests in flight for `seconds` and counts answers and latencies.
Bounded in count and time; it talks only to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass


@dataclass
class Result:
    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else float("nan")

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:].strip())
    if length:
        await reader.readexactly(length)
    return status


async def _worker(port: int, request: bytes, until: float, result: Result, max_requests: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < until and result.requests < max_requests:
            started = time.perf_counter()
            writer.write(request)
            status = await _read_response(reader)
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            result.requests += 1
    finally:
        writer.close()


def run(port: int, path: str, *, seconds: float = 3.0, connections: int = 16, token: str | None = None,
        max_requests: int = 1_000_000) -> Result:
    headers = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: keep-alive"]
    if token:
        headers.append(f"Authorization: Bearer {token}")
    request = ("\r\n".join(headers) + "\r\n\r\n").encode()
    result = Result(0, 0.0, [], {})

    async def main() -> None:
        start = time.perf_counter()
        until = start + seconds
        await asyncio.gather(*(_worker(port, request, until, result, max_requests) for _ in range(connections)))
        result.seconds = time.perf_counter() - start

    asyncio.run(main())
    return result
