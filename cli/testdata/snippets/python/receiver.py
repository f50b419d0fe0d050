"""A webhook receiver that verifies hooks' deliveries with the Python
standard library only, one function per signing scheme. Run e.g.
  SCHEME=standard-webhooks WEBHOOK_SECRET=whsec_... PORT=9000 python3 receiver.py
(the other schemes take the same variables as the Go receiver)."""
import base64, hashlib, hmac, json, os, time, urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer


def verify_standard(secret, headers, body):
    """Standard Webhooks: HMAC-SHA256 of "id.timestamp.body" with the
    base64-decoded whsec_ secret, timestamp within 5 minutes."""
    msg_id, ts = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(ts)) > 300:
        raise ValueError("timestamp too old or too new")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    want = base64.b64encode(mac).decode()
    for sig in headers["webhook-signature"].split(" "):
        version, _, value = sig.partition(",")
        if version == "v1" and hmac.compare_digest(value, want):
            return
    raise ValueError("signature mismatch")


def verify_hmac(secret, header, prefix, encoding, headers, body):
    """HMAC-SHA256 of the raw body, hex (GitHub, Pepperi) or base64 (Shopify)."""
    mac = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    want = prefix + (base64.b64encode(mac).decode() if encoding == "base64" else mac.hex())
    if not hmac.compare_digest(headers.get(header, ""), want):
        raise ValueError("signature mismatch")


def verify_shared_secret(secret, header, headers):
    """Shared secret: the header holds the endpoint's secret itself."""
    if not hmac.compare_digest(headers.get(header, ""), secret):
        raise ValueError("wrong secret")


def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def verify_jwt(issuer, audience, headers, body):
    """JWT bearer: an RS256 token signed by a key of the issuer's JWKS (RSA
    PKCS#1 v1.5 checked by hand), for this audience, not expired, whose
    body_sha256 claim is the hash of this body."""
    token = headers.get("authorization", "").removeprefix("Bearer ")
    head_b64, claims_b64, sig_b64 = token.split(".")
    head, claims = json.loads(b64url(head_b64)), json.loads(b64url(claims_b64))
    if head.get("alg") != "RS256":
        raise ValueError("not RS256")
    with urllib.request.urlopen(issuer + "/.well-known/jwks.json", timeout=10) as r:
        jwk = next(k for k in json.load(r)["keys"] if k["kid"] == head["kid"])
    n, e = int.from_bytes(b64url(jwk["n"]), "big"), int.from_bytes(b64url(jwk["e"]), "big")
    size = (n.bit_length() + 7) // 8
    em = pow(int.from_bytes(b64url(sig_b64), "big"), e, n).to_bytes(size, "big")
    digest = hashlib.sha256(f"{head_b64}.{claims_b64}".encode()).digest()
    der = bytes.fromhex("3031300d060960864801650304020105000420") + digest
    if not hmac.compare_digest(em, b"\x00\x01" + b"\xff" * (size - len(der) - 3) + b"\x00" + der):
        raise ValueError("bad token signature")
    aud = claims.get("aud")
    if claims.get("iss") != issuer or audience not in (aud if isinstance(aud, list) else [aud]):
        raise ValueError("wrong issuer or audience")
    if claims.get("exp", 0) < time.time() - 30:
        raise ValueError("token expired")
    if claims.get("body_sha256") != hashlib.sha256(body).hexdigest():
        raise ValueError("body_sha256 mismatch")


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))  # the raw bytes
        headers = {k.lower(): v for k, v in self.headers.items()}
        env = os.environ
        try:
            scheme = env["SCHEME"]
            if scheme == "standard-webhooks":
                verify_standard(env["WEBHOOK_SECRET"], headers, body)
            elif scheme == "hmac-sha256":
                verify_hmac(env["WEBHOOK_SECRET"], env["SIGNATURE_HEADER"].lower(), env.get("PREFIX", ""), env.get("ENCODING", "hex"), headers, body)
            elif scheme == "shared-secret":
                verify_shared_secret(env["WEBHOOK_SECRET"], env["SIGNATURE_HEADER"].lower(), headers)
            elif scheme == "jwt":
                verify_jwt(env["ISSUER"], env["AUDIENCE"], headers, body)
            else:
                raise ValueError("unknown SCHEME")
        except Exception as err:  # any failure means: don't trust this request
            print("rejected:", err, flush=True)
            self.send_response(401)
            self.end_headers()
            return
        # x-hooks-webhook-id is the same on every retry: use it to drop duplicates.
        print("verified", headers.get("x-hooks-webhook-id"), flush=True)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", int(os.environ.get("PORT", "9000"))), Receiver)
print("listening on", "%s:%d" % server.server_address, flush=True)
server.serve_forever()
