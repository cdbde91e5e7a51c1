"""Client CPU per APNs push: `mdmctl push --count N` against the Go peer (go/push), both
sending N pushes over one HTTP/2 connection to the same local nginx playing APNs (TLS,
client certificate required, `return 200`), run in turns. The CPU of each client process
(user + system, from wait4) divided by N is one sample; the median of RUNS samples is
written as `name<TAB>nanoseconds per push`. Both figures include process start, loading
the identity, the TLS handshake and writing one JSON line per result. nginx logs the first
request of every connection, so each run of either client is checked to have used exactly
one connection.

    python3 push_cpu.py OUT_DIR MDMCTL GO_PUSH [N [RUNS]]   (needs openssl and nginx;
                                                           MDM_COMPARE_NGINX: its path)
"""
import json, os, shutil, socket, statistics, subprocess, sys, time

out, mdmctl, go_push = sys.argv[1], sys.argv[2], sys.argv[3]
count = int(sys.argv[4]) if len(sys.argv) > 4 else 10000
runs = int(sys.argv[5]) if len(sys.argv) > 5 else 7
topic = "com.apple.mgmt.External.2b6d7a46-0c11-4f4e-8d4a-8b5f6a1c3e21"
token = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
magic = "8BBC4D7F-6D3A-4B23-A9C0-4D1F9E2A4E31"

d = os.path.join(out, "push")
shutil.rmtree(d, ignore_errors=True)
os.makedirs(d)

def openssl(*args):
    subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

# A CA, a server certificate for 127.0.0.1 and a push client certificate whose UID is the topic.
openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-subj", "/CN=compare push CA", "-days", "30")
with open(os.path.join(d, "server.ext"), "w") as f:
    f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
with open(os.path.join(d, "client.ext"), "w") as f:
    f.write("extendedKeyUsage=clientAuth\n")
for name, subj in (("server", "/CN=localhost"), ("client", f"/UID={topic}/CN=APSP:compare")):
    openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key",
            "-out", f"{name}.csr", "-subj", subj)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "30", "-extfile", f"{name}.ext", "-out", f"{name}.pem")

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

port = free_port()
with open(os.path.join(d, "nginx.conf"), "w") as f:
    f.write(f"""
master_process off;
error_log {d}/error.log warn;
pid {d}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    # One line per connection (its first request), to count the connections of each run.
    map $connection_requests $first_request {{ 1 1; default 0; }}
    log_format connection "$connection $ssl_protocol $ssl_cipher $ssl_curve";
    access_log {d}/connections.log connection if=$first_request;
    server {{
        listen 127.0.0.1:{port} ssl http2;
        ssl_certificate {d}/server.pem;
        ssl_certificate_key {d}/server.key;
        ssl_client_certificate {d}/ca.pem;
        ssl_verify_client on;
        # One protocol and one cipher suite, so that both clients do the same TLS work.
        ssl_protocols TLSv1.3;
        ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256;
        keepalive_requests {count + 10};
        location /3/device/ {{ return 200 ""; }}
    }}
}}
""")
# Not NGINX: nginx reads that variable itself (inherited sockets).
nginx_bin = (os.environ.get("MDM_COMPARE_NGINX") or shutil.which("nginx")
             or "/usr/sbin/nginx")
nginx = subprocess.Popen([nginx_bin, "-p", d, "-e", os.path.join(d, "error.log"),
                          "-c", os.path.join(d, "nginx.conf"), "-g", "daemon off;"],
                         stdin=subprocess.DEVNULL)
try:
    deadline = time.monotonic() + 10
    while True:
        if nginx.poll() is not None:
            sys.exit(f"nginx exited: {open(os.path.join(d, 'error.log')).read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                sys.exit("nginx did not start listening")
            time.sleep(0.05)

    url = f"https://127.0.0.1:{port}"
    c, k, ca = (os.path.join(d, n) for n in ("client.pem", "client.key", "ca.pem"))
    def ours(n):
        return [mdmctl, "push", "--cert", c, "--key", k, "--ca", ca, "--token", token,
                "--magic", magic, "--topic", topic, "--endpoint", url, "--count", str(n),
                "--retries", "0"]
    def go(n):
        return [go_push, "-url", url, "-cert", c, "-key", k, "-ca", ca, "-token", token,
                "-magic", magic, "-topic", topic, "-count", str(n)]

    connections_log = os.path.join(d, "connections.log")

    def connections():
        """The connection log: number, TLS protocol, cipher suite and group of each."""
        try:
            with open(connections_log) as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def connections_so_far():
        return len(connections())

    def cpu_ns(argv, n):
        """CPU nanoseconds (user + system) of one run of argv, which must report n ok over
        exactly one connection."""
        log = os.path.join(d, "client.out")
        before = connections_so_far()
        with open(log, "wb") as f:
            p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
            _, status, ru = os.wait4(p.pid, 0)
        lines = open(log).read().splitlines()
        summary = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
        if status != 0 or summary.get("ok") != n:
            sys.exit(f"{argv[0]} failed ({status}): {lines[-3:]}")
        # nginx logs a request once it has answered it, so the last line may land just after
        # a short client exits: wait for it (outside the measured CPU).
        deadline = time.monotonic() + 2
        while connections_so_far() == before and time.monotonic() < deadline:
            time.sleep(0.01)
        used = connections_so_far() - before
        if used != 1:
            sys.exit(f"{argv[0]} used {used} connections for {n} pushes, want 1")
        return (ru.ru_utime + ru.ru_stime) * 1e9

    samples = {"ours": [], "go": []}
    start = {"ours": [], "go": []}
    for i in range(runs):
        # Alternate which client goes first, so that a change of load hits both.
        order = (("ours", ours), ("go", go)) if i % 2 == 0 else (("go", go), ("ours", ours))
        for name, argv in order:
            samples[name].append(cpu_ns(argv(count), count) / count)
    for i in range(3):
        for name, argv in (("ours", ours), ("go", go)):
            start[name].append(cpu_ns(argv(1), 1))
    tls = {" ".join(line.split()[1:]) for line in connections()}
    if len(tls) != 1:
        sys.exit(f"the clients negotiated different TLS: {sorted(tls)}")
    print(f"push_cpu.py: every connection of both clients: {tls.pop()}", file=sys.stderr)
    for name in ("ours", "go"):
        print(f"push.{name}_cpu_per_push\t{statistics.median(samples[name]):.0f}")
        print(f"push.{name}_cpu_one_push_process\t{statistics.median(start[name]):.0f}")
    print(f"push.count\t{count}")
finally:
    nginx.terminate()
    nginx.wait()
