// A Standard Webhooks v1a receiver with nothing but Node's standard library:
// it verifies the Ed25519 signatures in webhook-signature with the whpk_
// public key from hooks' secret route (env PUBLIC_KEY), and answers 204 when
// one verifies, 401 otherwise. hooks' tests run it as an implementation of
// Ed25519 independent of Go's (Node uses OpenSSL).
const http = require("node:http");
const crypto = require("node:crypto");

const raw = Buffer.from(process.env.PUBLIC_KEY.replace(/^whpk_/, ""), "base64");
// An Ed25519 public key in SPKI DER form: a fixed 12-byte prefix and the key.
const publicKey = crypto.createPublicKey({
  key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), raw]),
  format: "der",
  type: "spki",
});

function verified(req, body) {
  const id = req.headers["webhook-id"];
  const ts = req.headers["webhook-timestamp"];
  if (!id || !ts || Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  const signed = Buffer.concat([Buffer.from(`${id}.${ts}.`), body]);
  return (req.headers["webhook-signature"] || "")
    .split(" ")
    .filter((s) => s.startsWith("v1a,"))
    .some((s) => crypto.verify(null, signed, publicKey, Buffer.from(s.slice(4), "base64")));
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    res.writeHead(verified(req, Buffer.concat(chunks)) ? 204 : 401);
    res.end();
  });
});
server.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
