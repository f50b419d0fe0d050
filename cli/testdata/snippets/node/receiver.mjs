// A webhook receiver that verifies hooks' deliveries, one function per
// signing scheme. npm install standardwebhooks jose, then e.g.
//   SCHEME=standard-webhooks WEBHOOK_SECRET=whsec_… PORT=9000 node receiver.mjs
// (the other schemes take the same variables as the Go receiver).
import http from "node:http";
import crypto from "node:crypto";
import { Webhook } from "standardwebhooks";
import { createRemoteJWKSet, jwtVerify } from "jose";

// Standard Webhooks: the official library checks webhook-id,
// webhook-timestamp (within 5 minutes) and webhook-signature.
function verifyStandard(secret, headers, body) {
  new Webhook(secret).verify(body, headers); // throws on a bad signature
}

// HMAC-SHA256 of the raw body, hex (GitHub, Pepperi) or base64 (Shopify).
function verifyHMAC(secret, header, prefix, encoding, headers, body) {
  const want = Buffer.from(prefix + crypto.createHmac("sha256", secret).update(body).digest(encoding));
  const got = Buffer.from(headers[header.toLowerCase()] ?? "");
  if (got.length !== want.length || !crypto.timingSafeEqual(got, want)) throw new Error("signature mismatch");
}

// Shared secret: the header holds the endpoint's secret itself.
function verifySharedSecret(secret, header, headers) {
  const want = Buffer.from(secret);
  const got = Buffer.from(headers[header.toLowerCase()] ?? "");
  if (got.length !== want.length || !crypto.timingSafeEqual(got, want)) throw new Error("wrong secret");
}

// JWT bearer: an RS256 token from the issuer's JWKS, for this audience,
// whose body_sha256 claim is the hash of this body.
const jwksByIssuer = new Map();
async function verifyJWT(issuer, audience, headers, body) {
  const token = (headers.authorization ?? "").replace(/^Bearer /, "");
  if (!jwksByIssuer.has(issuer)) jwksByIssuer.set(issuer, createRemoteJWKSet(new URL(issuer + "/.well-known/jwks.json")));
  const { payload } = await jwtVerify(token, jwksByIssuer.get(issuer), { issuer, audience, algorithms: ["RS256"] });
  if (payload.body_sha256 !== crypto.createHash("sha256").update(body).digest("hex")) throw new Error("body_sha256 mismatch");
}

const env = process.env;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", async () => {
    const body = Buffer.concat(chunks); // verify the raw bytes, before JSON.parse
    try {
      switch (env.SCHEME) {
        case "standard-webhooks": verifyStandard(env.WEBHOOK_SECRET, req.headers, body.toString("utf8")); break;
        case "hmac-sha256": verifyHMAC(env.WEBHOOK_SECRET, env.SIGNATURE_HEADER, env.PREFIX ?? "", env.ENCODING === "base64" ? "base64" : "hex", req.headers, body); break;
        case "shared-secret": verifySharedSecret(env.WEBHOOK_SECRET, env.SIGNATURE_HEADER, req.headers); break;
        case "jwt": await verifyJWT(env.ISSUER, env.AUDIENCE, req.headers, body); break;
        default: throw new Error("unknown SCHEME");
      }
    } catch (err) {
      console.log("rejected:", err.message);
      res.writeHead(401).end("invalid signature");
      return;
    }
    // x-hooks-webhook-id is the same on every retry: use it to drop duplicates.
    console.log("verified", req.headers["x-hooks-webhook-id"]);
    res.writeHead(200).end();
  });
});
server.listen(Number(env.PORT ?? 9000), "127.0.0.1", () => console.log("listening on", `127.0.0.1:${server.address().port}`));
