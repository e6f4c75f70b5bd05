#!/usr/bin/env python3
"""Runs a command and measures, while it runs, the peak of its anonymous
resident memory (RssAnon in /proc/PID/status: heap and anonymous maps, not
the page cache of files it maps) and, with --watch DIR, the peak bytes of the
files under DIR (its working space). Polls every millisecond.

Usage: peak-anon.py [--watch DIR] OUT.json CMD...
CMD's output passes through; the exit status is CMD's. OUT.json gets
{"peak_rss_anon_kib", "peak_watch_bytes", "seconds", "exit"}."""
import json
import os
import subprocess
import sys
import time


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_blocks * 512
            except OSError:
                pass
    return total


def rss_anon_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main():
    args = sys.argv[1:]
    watch = None
    if args[:1] == ["--watch"]:
        watch, args = args[1], args[2:]
    out, cmd = args[0], args[1:]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd)
    peak_anon = peak_watch = 0
    last_watch = 0.0
    while p.poll() is None:
        peak_anon = max(peak_anon, rss_anon_kib(p.pid))
        now = time.monotonic()
        if watch and now - last_watch > 0.02:
            peak_watch = max(peak_watch, dir_bytes(watch))
            last_watch = now
        time.sleep(0.001)
    seconds = time.monotonic() - t0
    with open(out, "w") as f:
        json.dump({"peak_rss_anon_kib": peak_anon, "peak_watch_bytes": peak_watch,
                   "seconds": round(seconds, 3), "exit": p.returncode}, f)
    sys.exit(p.returncode)


if __name__ == "__main__":
    main()
