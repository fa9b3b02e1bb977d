#!/usr/bin/python3
"""peakrss.py CMD...: runs CMD (standard input passed on) and prints
"rss KIB", the peak resident set size of CMD, as the last line."""
import resource
import subprocess
import sys

rc = subprocess.call(sys.argv[1:])
print("rss %d" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)
