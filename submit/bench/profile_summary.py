"""Sums a libtorch profiler trace (Chrome trace JSON, as DJL's JniUtils.stopProfile or
torch.profiler's export_chrome_trace write it) by op: `profile_summary.py TRACE [WALL_MS]`.

Prints the time inside top-level ops (what libtorch computed, as seen from the caller: JNI or
Python), and the ops with the most self time (an op's duration minus its children's). With the
step's wall time, wall - top-level op time is what the caller's language, its bindings and
everything between op calls cost."""

import collections
import json
import sys


def events(path):
    data = json.load(open(path))
    evs = data["traceEvents"] if isinstance(data, dict) else data
    # torch.profiler wraps the whole run in one "PyTorch Profiler" event: not an op.
    return [e for e in evs if e.get("ph") == "X" and "dur" in e
            and not str(e.get("name", "")).startswith(("PyTorch Profiler", "ProfilerStep"))]


def main(path, wall_ms=None):
    by_thread = collections.defaultdict(list)
    for e in events(path):
        by_thread[(e.get("pid"), e.get("tid"))].append(e)
    top_us, self_us, calls = 0.0, collections.Counter(), collections.Counter()
    for evs in by_thread.values():
        evs.sort(key=lambda e: (float(e["ts"]), -float(e["dur"])))
        stack = []  # (end, name, children's time)
        def close_until(ts):
            while stack and stack[-1][0] <= ts:
                end, name, child, dur = stack.pop()
                self_us[name] += dur - child
        for e in evs:
            ts, dur = float(e["ts"]), float(e["dur"])
            close_until(ts)
            if stack:
                stack[-1][2] += dur
            else:
                top_us += dur
            calls[e["name"]] += 1
            stack.append([ts + dur, e["name"], 0.0, dur])
        close_until(float("inf"))
    total_self = sum(self_us.values())
    print(f"time inside top-level libtorch ops: {top_us / 1000:.0f} ms (all threads)")
    if wall_ms:
        print(f"step wall time: {wall_ms:.0f} ms -> outside ops (language, bindings, gaps): "
              f"{wall_ms - top_us / 1000:.0f} ms")
    print(f"{'op':60s} {'self ms':>9s} {'share':>6s} {'calls':>6s}")
    for name, us in self_us.most_common(18):
        print(f"{name[:60]:60s} {us / 1000:9.0f} {100 * us / total_self:5.1f}% {calls[name]:6d}")


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else None)
