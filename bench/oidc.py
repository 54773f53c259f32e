"""Benchmark: what a sign-in through an OpenID provider costs lernmodul (no password is hashed
here). A stand-in provider runs in a separate process on loopback (discovery, JWKS and a token
endpoint answering with an RS256-signed ID token); lernmodul's OidcClient then runs what its
callback does for each sign-in: check state, redeem the code at the token endpoint (one HTTP
request), verify the ID token (signature, issuer, audience, times, nonce). Prints the wall
time and the CPU seconds of this process per sign-in; the provider's own work is not counted.
The account lookup and session write that follow are the same as after a password login.
Last line: name=value pairs.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/http.py must not shadow the standard library's `http` package for this script
sys.path[:] = [p for p in sys.path if not p.endswith("bench")]

import argparse
import os
import socket
import subprocess
import tempfile
import time

PROVIDER = r'''
import json, sys, time
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from urllib.parse import parse_qs
from joserfc import jwt
from joserfc.jwk import RSAKey

port, client_id = int(sys.argv[1]), sys.argv[2]
key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})
issuer = f"http://127.0.0.1:{port}"
discovery = {"issuer": issuer, "authorization_endpoint": issuer + "/auth",
             "token_endpoint": issuer + "/token", "jwks_uri": issuer + "/jwks",
             "id_token_signing_alg_values_supported": ["RS256"]}

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def answer(self, value):
        body = json.dumps(value).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if self.path.endswith("/openid-configuration"):
            return self.answer(discovery)
        return self.answer({"keys": [key.as_dict(private=False)]})
    def do_POST(self):
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        code = form["code"][0]  # the benchmark's code is the nonce of its sign-in
        now = int(time.time())
        claims = {"iss": issuer, "aud": client_id, "sub": "u-" + code[:8], "nonce": code,
                  "iat": now, "exp": now + 300, "email": "a@example.org"}
        token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
        self.answer({"access_token": "a", "token_type": "Bearer", "id_token": token})
    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sign-ins", type=int, default=300)
    args = parser.parse_args()
    from lernmodul.identity.oidc import OidcClient, OidcSettings

    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "provider.py"
        script.write_text(PROVIDER)
        provider = subprocess.Popen([sys.executable, str(script), str(port), "lernmodul"])
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the provider did not start") from None
                    time.sleep(0.1)
            client = OidcClient(OidcSettings(
                issuer=f"http://127.0.0.1:{port}", client_id="lernmodul", client_secret="s",
                redirect_uri="https://lernen.example.de/oidc/callback"))
            client.key_set()  # discovery and keys are fetched once and cached (as in the app)

            def sign_in() -> None:
                now = int(time.time())
                _url, pending = client.begin(now=now)
                client.finish({"state": pending.state, "code": pending.nonce}, pending, now=now)

            for _ in range(10):
                sign_in()
            load = os.getloadavg()[0]
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(args.sign_ins):
                sign_in()
            wall_ms = (time.perf_counter() - wall) / args.sign_ins * 1000
            cpu_ms = (time.process_time() - cpu) / args.sign_ins * 1000
        finally:
            provider.terminate()
            provider.wait(timeout=10)
    print(f"{args.sign_ins} sign-ins through a provider on loopback (load average {load:.2f}): "
          f"{wall_ms:.1f} ms wall, {cpu_ms:.1f} ms CPU of lernmodul per sign-in")
    print(f"oidc_sign_ins={args.sign_ins} oidc_wall_ms={wall_ms:.1f} oidc_cpu_ms={cpu_ms:.1f} "
          f"load={load:.2f}")


if __name__ == "__main__":
    main()
