// A webhook receiver written the way the PPS guide shows: Express with
// express-jwt, keys from the issuer's JWKS through jwks-rsa. The Go test
// TestJWTAcceptedByExpressJWTReceiver runs it against hooks' JWT signer.
//
// Environment: PORT (0 picks a free one), ISSUER (<public-url>/<tenant>),
// TENANT (the audience). Prints "listening on http://127.0.0.1:<port>" once
// ready. Answers 200 to a request whose token verifies, 401 otherwise.
const express = require('express');
const { expressjwt } = require('express-jwt');
const jwksRsa = require('jwks-rsa');

const PORT = Number(process.env.PORT || 0);
const ISSUER = process.env.ISSUER;
const TENANT = process.env.TENANT;
if (!ISSUER || !TENANT) {
  console.error('ISSUER and TENANT must be set');
  process.exit(2);
}

const app = express();

app.post(
  '/webhook',
  expressjwt({
    secret: jwksRsa.expressJwtSecret({
      jwksUri: ISSUER + '/.well-known/jwks.json',
      cache: true,
    }),
    audience: TENANT,
    issuer: ISSUER,
    algorithms: ['RS256'],
  }),
  express.json(),
  (req, res) => {
    res.status(200).json({ Success: true, jti: req.auth.jti });
  },
);

// Any failure to authenticate is a 401: express-jwt's UnauthorizedError and
// also jwks-rsa's errors (an unknown kid, an unreachable JWKS), which
// express-jwt passes on as they are.
app.use((err, req, res, next) => {
  res.status(401).json({ Success: false, error: err.name + ': ' + err.message });
});

const server = app.listen(PORT, '127.0.0.1', () => {
  console.log('listening on http://127.0.0.1:' + server.address().port);
});
