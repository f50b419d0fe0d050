package sign_test

// These tests run several KeyRings on one database, as several hooks
// instances on one PostgreSQL do, and check what a receiver behind a load
// balancer sees: whichever instance signed a token and whichever one it
// fetched the JWK Set from, the token verifies, through a key rotation and
// the deletion of the old key.

import (
	"bytes"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	jwtlib "github.com/golang-jwt/jwt/v5"

	"hooks/delivery/sign"
	"hooks/store"
	"hooks/store/storetest"
)

// sharedDB is a store.DB that reports itself shared. On PostgreSQL it is
// anyway; on SQLite, the default test backend, it lets two *store.DB on one
// file stand in for two instances on one database.
type sharedDB struct{ *store.DB }

func (sharedDB) Shared() bool { return true }

// instance is one hooks process's JWT signing: its own database handle and
// its own KeyRing.
type instance struct {
	name string
	db   *store.DB
	ring *sign.KeyRing
	jwt  *sign.JWT
}

const clusterIssuer = "https://hooks.example"

// openInstances opens the test database once per period, as separate
// processes would, with one master key, and gives each a KeyRing with that
// rotation period. They are named a, b, c and so on.
func openInstances(t *testing.T, periods ...time.Duration) []*instance {
	t.Helper()
	dsn := storetest.DSN(t)
	master := store.WithMasterKey(bytes.Repeat([]byte{7}, store.MasterKeySize))
	var out []*instance
	for i, period := range periods {
		db, err := store.Open(t.Context(), dsn, master)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		ring := sign.NewKeyRing(sharedDB{db}, period)
		out = append(out, &instance{name: string(rune('a' + i)), db: db, ring: ring, jwt: sign.NewJWT(ring, clusterIssuer)})
	}
	return out
}

// token signs one request as in for tenant at now and returns the bearer
// token.
func (in *instance) token(t *testing.T, tenant string, now time.Time) string {
	t.Helper()
	h := http.Header{}
	m := sign.Meta{DeliveryID: "dlv_1", EndpointID: "wbh_1", TenantID: tenant, Timestamp: now}
	if err := in.jwt.Sign(h, []byte(`{"n":1}`), m); err != nil {
		t.Fatalf("%s signs at %v: %v", in.name, now, err)
	}
	token, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer ")
	if !ok {
		t.Fatalf("%s: Authorization = %q", in.name, h.Get("Authorization"))
	}
	return token
}

// jwks returns the tenant's JWK Set as in serves it, as RSA keys by kid.
// The keys are decoded by hand from n and e (RFC 7518 §6.3.1), not by the
// library that signs.
func (in *instance) jwks(t *testing.T, tenant string) map[string]*rsa.PublicKey {
	t.Helper()
	doc, err := in.ring.JWKS(t.Context(), tenant)
	if err != nil {
		t.Fatalf("%s JWKS: %v", in.name, err)
	}
	var set struct {
		Keys []struct{ Kty, Kid, Alg, Use, N, E string } `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatalf("%s JWKS %s: %v", in.name, doc, err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		n, errN := base64.RawURLEncoding.DecodeString(k.N)
		e, errE := base64.RawURLEncoding.DecodeString(k.E)
		if k.Kty != "RSA" || k.Alg != "RS256" || k.Use != "sig" || errN != nil || errE != nil {
			t.Fatalf("%s JWKS key %+v", in.name, k)
		}
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	return keys
}

// receive verifies token as an express-jwt receiver with jwks-rsa does,
// with golang-jwt and the key its kid names in keys, at now. It returns the
// kid and the expiry.
func receive(token, tenant string, keys map[string]*rsa.PublicKey, now time.Time) (string, time.Time, error) {
	var kid string
	parser := jwtlib.NewParser(
		jwtlib.WithValidMethods([]string{"RS256"}),
		jwtlib.WithIssuer(clusterIssuer+"/"+tenant),
		jwtlib.WithAudience(tenant),
		jwtlib.WithExpirationRequired(),
		jwtlib.WithIssuedAt(),
		jwtlib.WithTimeFunc(func() time.Time { return now }),
	)
	claims := jwtlib.RegisteredClaims{}
	_, err := parser.ParseWithClaims(token, &claims, func(tok *jwtlib.Token) (any, error) {
		kid, _ = tok.Header["kid"].(string)
		if k := keys[kid]; k != nil {
			return k, nil
		}
		return nil, fmt.Errorf("no key %q in the JWK Set", kid)
	})
	if err != nil {
		return kid, time.Time{}, err
	}
	return kid, claims.ExpiresAt.Time, nil
}

// storedKIDs returns the ids of the tenant's keys in the database.
func storedKIDs(t *testing.T, db *store.DB, tenant string) map[string]bool {
	t.Helper()
	keys, err := db.SigningKeys(t.Context(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, k := range keys {
		ids[k.ID] = true
	}
	return ids
}

// issued is a token a receiver may still be handed.
type issued struct {
	by, kid string
	exp     time.Time
}

// TestSharedKeyRingsVerifyEverywhereThroughRotation steps three instances
// through a tenant's first key, its rotation and the old key's deletion on
// a shared clock: a runs the rotation job (the elected instance), a and b
// sign, and c only serves JWK Sets. At every step a and b sign, and each
// token must verify against the JWK Set of every instance; until it
// expires, its key must stay in storage and in every instance's set,
// checked both before and after each step's refreshes and rotation job.
func TestSharedKeyRingsVerifyEverywhereThroughRotation(t *testing.T) {
	const (
		tenant = "OU1243"
		period = time.Hour
	)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		// rotateEvery is how often a runs the rotation job.
		rotateEvery time.Duration
		// bPeriod is b's rotation period; a and c have period.
		bPeriod time.Duration
		// bRefreshes says whether b's refreshes run at all, and
		// bServes whether receivers fetch JWK Sets from b.
		bRefreshes, bServes bool
	}{
		// The job runs often enough to rotate before any signature must.
		{name: "the job rotates", rotateEvery: time.Minute, bPeriod: period, bRefreshes: true, bServes: true},
		// The job is late; the first signature past the due time, on
		// b, rotates.
		{name: "a signature rotates", rotateEvery: 10 * time.Minute, bPeriod: period, bRefreshes: true, bServes: true},
		// b's refreshes fail, and its --jwt-key-rotation is longer than
		// a's, so it does not see the rotation coming: it must follow
		// storage through its own signatures' reads. (Its JWK Sets would
		// be stale; no receiver asks it for them.)
		{name: "an instance stops refreshing", rotateEvery: time.Minute, bPeriod: 2 * period},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ins := openInstances(t, period, tt.bPeriod, period)
			a, b, c := ins[0], ins[1], ins[2]
			servers := []*instance{a, c}
			if tt.bServes {
				servers = append(servers, b)
			}
			var live []issued
			used := map[string]bool{}

			// signAll makes a and b sign at now and checks the tokens
			// against every instance's set.
			signAll := func(now time.Time) {
				t.Helper()
				tokens := map[string]string{}
				// b signs first, so that in "a signature rotates" the
				// instance that does not run the job rotates.
				for _, in := range []*instance{b, a} {
					tokens[in.name] = in.token(t, tenant, now)
				}
				for _, in := range servers {
					keys := in.jwks(t, tenant)
					for signer, token := range tokens {
						kid, exp, err := receive(token, tenant, keys, now)
						if err != nil {
							t.Fatalf("%v: %s's token fails against %s's JWK Set: %v", now.Sub(t0), signer, in.name, err)
						}
						if in == a {
							live = append(live, issued{by: signer, kid: kid, exp: exp})
							used[kid] = true
						}
					}
				}
			}
			// checkLive checks that no key a live token needs is gone.
			checkLive := func(now time.Time) {
				t.Helper()
				stored := storedKIDs(t, a.db, tenant)
				sets := map[string]map[string]*rsa.PublicKey{}
				for _, in := range servers {
					sets[in.name] = in.jwks(t, tenant)
				}
				kept := live[:0]
				for _, tok := range live {
					if !now.Before(tok.exp) {
						continue
					}
					kept = append(kept, tok)
					if !stored[tok.kid] {
						t.Fatalf("%v: key %s was deleted while %s's token signed with it is valid until %v", now.Sub(t0), tok.kid, tok.by, tok.exp.Sub(t0))
					}
					for name, keys := range sets {
						if keys[tok.kid] == nil {
							t.Fatalf("%v: %s's JWK Set lacks key %s of %s's token valid until %v", now.Sub(t0), name, tok.kid, tok.by, tok.exp.Sub(t0))
						}
					}
				}
				live = kept
			}
			// refresh runs in's refresh if its schedule, every
			// KeyRefreshInterval from offset, has a run in (now-step, now].
			refresh := func(in *instance, now time.Time, step, offset time.Duration) {
				t.Helper()
				if since := now.Sub(t0) - offset; step > sign.KeyRefreshInterval || since%sign.KeyRefreshInterval < step {
					if err := in.ring.Refresh(t.Context(), now); err != nil {
						t.Fatal(err)
					}
				}
			}

			// The instances start (and load the keys there are: none),
			// then b makes the tenant's first key.
			for _, in := range ins {
				if err := in.ring.Rotate(t.Context(), t0); err != nil {
					t.Fatal(err)
				}
			}
			signAll(t0)
			// Then the cluster runs, coarsely while nothing changes and
			// in 5 s steps around the rotation and the deletion.
			end := t0.Add(period + 20*time.Minute)
			for now := t0; now.Before(end); {
				step := time.Minute
				if now.After(t0.Add(period - 10*time.Minute)) {
					step = 5 * time.Second
				}
				now = now.Add(step)
				checkLive(now)

				refresh(a, now, step, 0)
				if tt.bRefreshes {
					refresh(b, now, step, 10*time.Second)
				}
				refresh(c, now, step, 5*time.Second)
				if now.Sub(t0)%tt.rotateEvery == 0 {
					if err := a.ring.Rotate(t.Context(), now); err != nil {
						t.Fatal(err)
					}
				}
				checkLive(now)
				signAll(now)
			}

			if len(used) != 2 {
				t.Fatalf("%d keys signed, want the first and its successor", len(used))
			}
			stored := storedKIDs(t, a.db, tenant)
			if len(stored) != 1 {
				t.Fatalf("stored keys at the end: %v, want only the current one", stored)
			}
			for kid := range stored {
				for _, in := range ins[:2] {
					got, _, err := receive(in.token(t, tenant, end), tenant, in.jwks(t, tenant), end)
					if err != nil || got != kid {
						t.Errorf("%s signs with %s (%v), want the remaining key %s", in.name, got, err, kid)
					}
				}
			}
		})
	}
}

// On PostgreSQL, store.DB reports itself shared without help, so the
// serve command's KeyRing gets this behaviour by itself.
func TestPostgresKeyStorageIsShared(t *testing.T) {
	db, err := store.Open(t.Context(), storetest.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if !db.Shared() {
		t.Fatal("a PostgreSQL store.DB does not report itself shared")
	}
	var storage sign.KeyStorage = db
	if s, ok := storage.(interface{ Shared() bool }); !ok || !s.Shared() {
		t.Fatal("the KeyRing can't see that a PostgreSQL store is shared")
	}
}
