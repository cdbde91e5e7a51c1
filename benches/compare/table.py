"""Reads the measurements compare.sh wrote into OUT_DIR and prints one Markdown table:
for each row, ours, the best peer and how many times faster ours is (above 1: ours leads)."""
import os, re, sys

out = sys.argv[1]

def tsv(name):
    rows = {}
    for line in open(os.path.join(out, name)):
        k, v = line.split("\t")
        rows[k] = float(v)
    return rows

ours = tsv("ours.tsv")
libplist = tsv("libplist.tsv")
plistlib = tsv("plistlib.tsv")
size = {f: os.path.getsize(os.path.join(out, f))
        for f in ("apps.plist", "token_update.plist", "profile.plist")}

speed = open(os.path.join(out, "openssl.txt")).read()
def openssl_rate(pattern):
    for line in speed.splitlines():
        if re.search(pattern, line):
            nums = re.findall(r"[0-9]+\.[0-9]+", line)
            return float(nums[-2]), float(nums[-1])  # sign/s, verify/s
    return None, None
rsa_sign, rsa_verify = openssl_rate(r"^rsa\s+2048")
ec_sign, ec_verify = openssl_rate(r"256 bits ecdsa")

def us(ns): return f"{ns / 1000:.1f} us"
def mbs(ns, f): return f"{size[f] / ns * 1000:.0f} MB/s"

rows = []
def decode_row(work, f, ours_key, peers, fmt):
    mine = ours[ours_key]
    best_name, best = min(peers.items(), key=lambda kv: kv[1])
    others = ", ".join(f"{n} {fmt(v)}" for n, v in sorted(peers.items(), key=lambda kv: kv[1]))
    rows.append((work, fmt(mine), f"{best_name} {fmt(best)}", f"{best / mine:.2f}x", others))

apps = lambda ns: mbs(ns, "apps.plist")
decode_row(f"typed decode, InstalledApplicationList ({size['apps.plist'] / 1048576:.2f} MiB, 2,000 apps)",
           "apps.plist", "apps.ours_typed",
           {"Rust plist typed": ours["apps.plist_typed"], "libplist": libplist["apps.plist"],
            "plistlib": plistlib["apps.plist"]}, apps)
decode_row("untyped decode (Value), same list", "apps.plist", "apps.ours_value",
           {"Rust plist Value": ours["apps.plist_value"], "libplist": libplist["apps.plist"],
            "plistlib": plistlib["apps.plist"]}, apps)
decode_row(f"typed decode, TokenUpdate ({size['token_update.plist'] / 1024:.1f} KiB, mdm_checkin)",
           "token_update.plist", "token.ours_checkin",
           {"Rust plist typed": ours["token.plist_typed"], "libplist": libplist["token_update.plist"],
            "plistlib": plistlib["token_update.plist"]}, us)
decode_row("typed decode, TokenUpdate (plain serde struct)", "token_update.plist", "token.ours_typed",
           {"Rust plist typed": ours["token.plist_typed"], "libplist": libplist["token_update.plist"],
            "plistlib": plistlib["token_update.plist"]}, us)
decode_row(f"decode a {size['profile.plist'] / 1024:.0f} KiB profile (Wi-Fi EAP + passcode), mdm_profiles",
           "profile.plist", "profile.ours_profiles",
           {"Rust plist Value": ours["profile.plist_value"], "libplist": libplist["profile.plist"],
            "plistlib": plistlib["profile.plist"]}, us)
decode_row("decode the same profile to Value", "profile.plist", "profile.ours_value",
           {"Rust plist Value": ours["profile.plist_value"], "libplist": libplist["profile.plist"],
            "plistlib": plistlib["profile.plist"]}, us)

def rate(ns): return f"{1e9 / ns / 1000:.1f}k/s"
for alg, raw in (("rsa2048", rsa_verify), ("p256", ec_verify)):
    for kind in ("signature_only", "chain"):
        mine = ours[f"verify_{alg}.ours_{kind}"]
        label = "signature only" if kind == "signature_only" else "chain to one anchor"
        limit = f"openssl speed verify {raw / 1000:.1f}k/s" if raw else "n/a"
        share = f"{1e9 / mine / raw * 100:.0f}% of raw" if raw else ""
        rows.append((f"CMS verify, {alg}, 4 KiB profile, {label}", rate(mine), limit, share, ""))

# The Go peers (compare.sh writes these files only when `go` is present).
go_pkcs7 = os.path.join(out, "go_pkcs7.tsv")
if os.path.exists(go_pkcs7):
    go = tsv("go_pkcs7.tsv")
    for alg in ("rsa2048", "p256"):
        for kind in ("signature_only", "chain"):
            mine, peer = ours[f"verify_{alg}.ours_{kind}"], go[f"verify_{alg}.go_{kind}"]
            label = "signature only" if kind == "signature_only" else "chain to one anchor"
            rows.append((f"CMS verify vs Go pkcs7, {alg}, 4 KiB profile, {label}", rate(mine),
                         f"Go pkcs7 (Debian's fullsailor, the mozilla fork) {rate(peer)}",
                         f"{peer / mine:.2f}x", ""))
push_tsv = os.path.join(out, "push.tsv")
if os.path.exists(push_tsv):
    push = tsv("push.tsv")
    def cpu(ns): return f"{ns / 1000:.1f} us CPU"
    def ms(ns): return f"{ns / 1e6:.0f} ms"
    mine, peer = push["push.ours_cpu_per_push"], push["push.go_cpu_per_push"]
    rows.append((f"APNs push client CPU per push, {int(push['push.count']):,} pushes over one "
                 "HTTP/2 connection (mdmctl push vs Go), process total / N",
                 cpu(mine), f"Go x/net/http2 {cpu(peer)}", f"{peer / mine:.2f}x",
                 f"a one-push process: ours {ms(push['push.ours_cpu_one_push_process'])}, "
                 f"Go {ms(push['push.go_cpu_one_push_process'])}"))

print("| work | ours | best peer (or limit) | ours vs best | all peers |")
print("| --- | --- | --- | --- | --- |")
for r in rows:
    print("| " + " | ".join(r) + " |")
