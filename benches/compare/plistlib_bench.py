"""Times Python's plistlib.loads on each file named on the command line: prints
"name<TAB>nanoseconds per parse", median of 7 samples."""
import os, plistlib, sys, time

for path in sys.argv[1:]:
    data = open(path, "rb").read()
    n = 1
    while True:
        t = time.perf_counter_ns()
        for _ in range(n):
            plistlib.loads(data)
        if time.perf_counter_ns() - t > 50_000_000:
            break
        n *= 2
    per = n * 2
    samples = []
    for _ in range(7):
        t = time.perf_counter_ns()
        for _ in range(per):
            plistlib.loads(data)
        samples.append((time.perf_counter_ns() - t) / per)
    samples.sort()
    print(f"{os.path.basename(path)}\t{samples[3]:.0f}")
