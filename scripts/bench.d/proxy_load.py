#!/usr/bin/python3
"""Requests at a steady rate through the proxy while something happens behind it; counts the ones that fail.

    proxy_load.py URL [--hz 20] [--timeout 40]

Sends GET URL every 1/hz seconds, each in its own thread (a request the proxy holds does not delay the next), until
SIGTERM or SIGINT; then waits for the requests in flight and prints one JSON line on stdout:
{"sent", "failed", "longest_gap_s" (between two successful answers), "max_latency_s", "failures": [first 10]}.
A request fails unless it answers 200 within the timeout. Prints "started" on stderr once the first request answered.
Used by scripts/bench (downtime-proxy), scripts/demo and the start-first ITs.
"""

import argparse
import http.client
import json
import signal
import sys
import threading
import time
import urllib.parse


class ProxyLoad:
    """The load: start(), then stop() returns the summary."""

    def __init__(self, url, hz=20.0, timeout=40.0):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port or 80
        self.path = (u.path or "/") + ("?" + u.query if u.query else "")
        self.period = 1.0 / hz
        self.timeout = timeout
        self.results = []
        self.lock = threading.Lock()
        self.halt = threading.Event()
        self.first = threading.Event()
        self.threads = []
        self.ticker = None

    def one(self):
        t0 = time.time()
        ok, what = False, ""
        try:
            c = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            c.request("GET", self.path, headers={"Connection": "close"})
            r = c.getresponse()
            r.read()
            c.close()
            ok, what = r.status == 200, "HTTP %d" % r.status
        except Exception as e:  # every way a request can fail is a failed request
            what = "%s: %s" % (type(e).__name__, e)
        t1 = time.time()
        with self.lock:
            self.results.append((t0, t1, ok, what))
        if ok:
            self.first.set()

    def tick(self):
        nxt = time.monotonic()
        while not self.halt.is_set():
            t = threading.Thread(target=self.one, daemon=True)
            t.start()
            self.threads.append(t)
            nxt += self.period
            delay = nxt - time.monotonic()
            if delay > 0:
                self.halt.wait(delay)
            else:
                nxt = time.monotonic()

    def start(self, ready_timeout=30.0):
        self.ticker = threading.Thread(target=self.tick, daemon=True)
        self.ticker.start()
        if not self.first.wait(ready_timeout):
            self.stop()
            raise RuntimeError("no request through %s:%s%s answered 200 within %.0f s" % (self.host, self.port, self.path,
                                                                                        ready_timeout))
        return self

    def stop(self):
        self.halt.set()
        if self.ticker:
            self.ticker.join()
        for t in self.threads:
            t.join(self.timeout + 5)
        with self.lock:
            res = sorted(self.results)
        oks = [r[1] for r in res if r[2]]
        oks.sort()
        failures = [{"at": round(r[0], 3), "after_s": round(r[1] - r[0], 3), "error": r[3]} for r in res if not r[2]]
        return {"sent": len(res), "failed": len(failures),
                "longest_gap_s": round(max((b - a for a, b in zip(oks, oks[1:])), default=0.0), 3),
                "max_latency_s": round(max((r[1] - r[0] for r in res), default=0.0), 3),
                "failures": failures[:10]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("url")
    ap.add_argument("--hz", type=float, default=20.0)
    ap.add_argument("--timeout", type=float, default=40.0)
    a = ap.parse_args()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    load = ProxyLoad(a.url, a.hz, a.timeout)
    try:
        load.start()
    except RuntimeError as e:
        print("proxy_load: %s" % e, file=sys.stderr)
        return 1
    print("started", file=sys.stderr, flush=True)
    while not done.wait(0.2):
        pass
    print(json.dumps(load.stop()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
