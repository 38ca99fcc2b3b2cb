#!/usr/bin/env python3
"""thread_cpu.py OUT.json [--window FILE N] -- COMMAND...: runs COMMAND and polls /proc every 0.5 s for the CPU time
(user + system) of every thread of every process it starts, keeping each thread's last reading.
Threads are grouped by name (Java sets the native name of its threads; libtorch's OpenMP workers
keep the name of the thread that started them). Writes {group: seconds} and prints a table: where
a job's CPU time goes besides the engine's work. With --window FILE N, the figures are those of
the interval from when FILE (a metrics.jsonl) first holds N lines (the warm-up steps done) to the
end of the command: what competes with the timed steps. Asserts nothing."""
import json, os, re, subprocess, sys, time

HZ = os.sysconf("SC_CLK_TCK")


def descendants(root):
    kids = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(pid))
            except OSError:
                pass
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def group(name):
    name = re.sub(r"[-#\s]*\d+$", "", name.strip())  # "GC Thread#1" -> "GC Thread"
    name = re.sub(r"\d+", "N", name)
    return name or "?"


def main():
    out, cmd = sys.argv[1], sys.argv[sys.argv.index("--") + 1 :]
    window = None
    if sys.argv[2] == "--window":
        window = (sys.argv[3], int(sys.argv[4]))
    proc = subprocess.Popen(cmd)
    last, start, started_at = {}, {}, None
    while proc.poll() is None:
        if window and started_at is None:
            try:
                with open(window[0]) as f:
                    if sum(1 for line in f if line.strip()) >= window[1]:
                        start, started_at = dict(last), time.time()
            except OSError:
                pass
        for pid in descendants(proc.pid):
            try:
                tids = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for tid in tids:
                try:
                    with open(f"/proc/{pid}/task/{tid}/stat") as f:
                        stat = f.read()
                except OSError:
                    continue
                name = stat[stat.index("(") + 1 : stat.rindex(")")]
                fields = stat.rsplit(")", 1)[1].split()
                last[(pid, int(tid))] = (name, (int(fields[11]) + int(fields[12])) / HZ)
        time.sleep(0.5)
    groups, threads = {}, {}
    for key, (name, secs) in last.items():
        g = group(name)
        groups[g] = groups.get(g, 0) + secs - start.get(key, (name, 0))[1]
        threads[g] = threads.get(g, 0) + 1
    if window:
        print(f"window: from {window[1]} lines of {window[0]} to the end"
              + ("" if started_at else " (never reached: whole run)"))
    total = sum(groups.values())
    print(f"{'thread group':32} {'CPU s':>8} {'share':>6} {'threads':>7}")
    for g, s in sorted(groups.items(), key=lambda kv: -kv[1]):
        if s >= 0.05:
            print(f"{g:32} {s:8.2f} {s / total:6.1%} {threads[g]:7d}")
    print(f"{'total':32} {total:8.2f}")
    json.dump({"groups": groups, "threads": threads, "total": total, "returncode": proc.returncode}, open(out, "w"), indent=1)
    sys.exit(proc.returncode)


main()
