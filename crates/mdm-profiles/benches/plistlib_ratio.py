"""Times Python's plistlib.loads on the profile the criterion bench decodes.

plistlib refuses that file (PEM armor inside <data>), so the armor lines are removed first,
as mdm-profiles' decoder does; the timed bytes are the repaired ones.
Usage: python3 benches/plistlib_ratio.py [CORPUS_DIR]
"""
import os
import plistlib
import re
import sys
import time

corpus = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MDM_CORPUS", "../shared/corpus")
path = os.path.join(corpus, "profiles/lgp1985-CertificadosAC-ICP-Brasil/ac-icp-brasil-full.mobileconfig")
raw = open(path, "rb").read()
data = re.sub(rb"-----(BEGIN|END) [A-Z0-9 ]*-----", b"", raw)
plistlib.loads(data)
runs = 20
start = time.perf_counter()
for _ in range(runs):
    plistlib.loads(data)
elapsed = (time.perf_counter() - start) / runs
print(f"plistlib.loads: {len(data)} bytes in {elapsed * 1e3:.2f} ms = {len(data) / elapsed / 1e6:.1f} MB/s")
