"""Runs a command and writes its peak resident set size (the largest process it waited for, in MB)
to a file: `peak_rss.py OUT_FILE command args...`. The command's exit code is passed on."""

import resource
import subprocess
import sys

code = subprocess.call(sys.argv[2:])
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # Linux reports KiB
with open(sys.argv[1], "w") as f:
    f.write(f"{peak_kb / 1024:.0f}\n")
sys.exit(code)
