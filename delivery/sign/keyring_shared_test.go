package sign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hooks/domain"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	jwtlib "github.com/golang-jwt/jwt/v5"
)

// sharedKeys is memKeys as storage that other KeyRings write too, as
// *store.DB on PostgreSQL is.
type sharedKeys struct{ *memKeys }

func (sharedKeys) Shared() bool { return true }

// gatedKeys holds back its first n inserts until all n have arrived, so
// that n rings have all read storage before any of them stores a key.
type gatedKeys struct {
	sharedKeys
	n       int32
	arrived atomic.Int32
	all     chan struct{}
}

func newGatedKeys(st *memKeys, n int) *gatedKeys {
	return &gatedKeys{sharedKeys: sharedKeys{st}, n: int32(n), all: make(chan struct{})}
}

func (g *gatedKeys) InsertSigningKey(ctx context.Context, k domain.SigningKey) error {
	if i := g.arrived.Add(1); i <= g.n {
		if i == g.n {
			close(g.all)
		}
		<-g.all
	}
	return g.sharedKeys.InsertSigningKey(ctx, k)
}

// verifyWithSet checks token as a receiver does, with golang-jwt and the
// key named by its kid in set (a JWK Set document as some instance serves
// it), at now. It returns the kid and the token's expiry.
func verifyWithSet(token string, set []byte, tenantID string, now time.Time) (string, time.Time, error) {
	var kid string
	parser := jwtlib.NewParser(
		jwtlib.WithValidMethods([]string{"RS256"}),
		jwtlib.WithIssuer("https://hooks.example/"+tenantID),
		jwtlib.WithAudience(tenantID),
		jwtlib.WithExpirationRequired(),
		jwtlib.WithIssuedAt(),
		jwtlib.WithTimeFunc(func() time.Time { return now }),
	)
	claims := jwtlib.RegisteredClaims{}
	_, err := parser.ParseWithClaims(token, &claims, func(tok *jwtlib.Token) (any, error) {
		kid, _ = tok.Header["kid"].(string)
		var keys jose.JSONWebKeySet
		if err := json.Unmarshal(set, &keys); err != nil {
			return nil, err
		}
		if k := keys.Key(kid); len(k) == 1 && k[0].IsPublic() {
			return k[0].Key, nil
		}
		return nil, fmt.Errorf("no key %q in the JWK Set", kid)
	})
	if err != nil {
		return kid, time.Time{}, err
	}
	return kid, claims.ExpiresAt.Time, nil
}

// A rotation on shared storage stores and publishes the new key at once,
// and the old key signs until the new one starts, a lead time later, by
// when every ring that signs has read storage since.
func TestSharedRotationPublishesTheNewKeyBeforeItSigns(t *testing.T) {
	const period = 24 * time.Hour
	ctx := context.Background()
	st := newMemKeys()
	leader, other := NewKeyRing(sharedKeys{st}, period), NewKeyRing(sharedKeys{st}, period)
	old := currentKID(t, leader, "OU1", t0)
	if err := other.Refresh(ctx, t0); err != nil {
		t.Fatal(err)
	}

	due := t0.Add(period - keyLeadTime)
	if err := leader.Rotate(ctx, due.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if n := len(st.stored(t, "OU1")); n != 1 {
		t.Fatalf("rotated %v before the period less the lead time", keyLeadTime)
	}
	if err := leader.Rotate(ctx, due); err != nil {
		t.Fatal(err)
	}
	keys := st.stored(t, "OU1")
	start := due.Add(keyLeadTime)
	if len(keys) != 2 || !keys[0].CreatedAt.Equal(start) || keys[1].ID != old || !keys[1].RetiredAt.Equal(start) {
		t.Fatalf("stored after rotation = %+v, want a new key starting at %v and %s retired then", keys, start, old)
	}
	next := keys[0].ID
	if got := tenantJWKS(t, leader, "OU1"); !slices.Equal(got, []string{next, old}) {
		t.Fatalf("leader's JWKS = %v, want [%s %s] at once", got, next, old)
	}

	// Another ring refreshes within keyMaxViewAge of every signature.
	refreshed := due.Add(keyMaxViewAge - time.Second)
	if err := other.Refresh(ctx, refreshed); err != nil {
		t.Fatal(err)
	}
	if got := tenantJWKS(t, other, "OU1"); !slices.Equal(got, []string{next, old}) {
		t.Fatalf("other ring's JWKS after a refresh = %v, want [%s %s]", got, next, old)
	}
	for _, ring := range []*KeyRing{leader, other} {
		if got := currentKID(t, ring, "OU1", start.Add(-time.Second)); got != old {
			t.Errorf("during the lead time a ring signs with %s, want the old %s", got, old)
		}
		if got := currentKID(t, ring, "OU1", start); got != next {
			t.Errorf("once the new key starts a ring signs with %s, want %s", got, next)
		}
	}
	if n := st.count("InsertSigningKey"); n != 2 {
		t.Errorf("%d keys inserted, want 2", n)
	}
}

// A shared ring does not sign from a copy of the keys older than
// keyMaxViewAge: it reads storage first, and fails rather than sign with
// a key that another ring may have retired and deleted meanwhile.
func TestSharedRingReadsStorageBeforeSigningFromAnOldCopy(t *testing.T) {
	ctx := context.Background()
	st := newMemKeys()
	ring := NewKeyRing(sharedKeys{st}, 0)
	kid := currentKID(t, ring, "OU1", t0)
	if err := ring.Refresh(ctx, t0); err != nil {
		t.Fatal(err)
	}

	reads := st.count("SigningKeys") + st.count("AllSigningKeys")
	currentKID(t, ring, "OU1", t0.Add(keyMaxViewAge))
	if n := st.count("SigningKeys") + st.count("AllSigningKeys") - reads; n != 0 {
		t.Fatalf("signing from a copy %v old read storage %d times", keyMaxViewAge, n)
	}
	late := t0.Add(keyMaxViewAge + time.Second)
	if got := currentKID(t, ring, "OU1", late); got != kid {
		t.Fatalf("signs with %s, want %s", got, kid)
	}
	if n := st.count("SigningKeys") - reads + st.count("AllSigningKeys"); n != 1 {
		t.Fatalf("signing from a copy older than %v read storage %d times, want 1", keyMaxViewAge, n)
	}

	errDown := errors.New("storage down")
	st.fail("SigningKeys", errDown)
	if _, err := ring.signingKey(ctx, "OU1", late.Add(keyMaxViewAge+time.Second)); !errors.Is(err, errDown) {
		t.Fatalf("signing from an old copy without storage: %v, want %v", err, errDown)
	}
}

// Two rings that make a tenant's first key at the same moment each sign
// with their own. Both keys are published by every ring at once, the rings
// agree on one from their next refresh, and the other is deleted only once
// every token it signed has expired.
func TestSharedFirstKeyRaceKeepsBothKeysPublished(t *testing.T) {
	ctx := context.Background()
	st := newMemKeys()
	gated := newGatedKeys(st, 2)
	a, b, c := NewKeyRing(gated, 0), NewKeyRing(gated, 0), NewKeyRing(sharedKeys{st}, 0)
	rings := []*KeyRing{a, b, c}
	names := map[*KeyRing]string{a: "a", b: "b", c: "c"}
	for _, r := range rings {
		// Start-up: each has read storage, which has no keys yet.
		if err := r.Rotate(ctx, t0); err != nil {
			t.Fatal(err)
		}
	}

	type token struct {
		by  string
		kid string
		exp time.Time
	}
	var live []token
	// sign makes r sign at now and verifies the token against every
	// ring's JWK Set.
	sign := func(r *KeyRing, now time.Time) token {
		t.Helper()
		tok := bearer(t, NewJWT(r, "https://hooks.example"), "{}", Meta{TenantID: "OU1", DeliveryID: "dlv_1", Timestamp: now})
		var out token
		for _, v := range rings {
			set, err := v.JWKS(ctx, "OU1")
			if err != nil {
				t.Fatal(err)
			}
			kid, exp, err := verifyWithSet(tok, set, "OU1", now)
			if err != nil {
				t.Fatalf("%v: %s's token fails against %s's JWK Set: %v", now.Sub(t0), names[r], names[v], err)
			}
			out = token{by: names[r], kid: kid, exp: exp}
		}
		return out
	}
	// check checks that every live token's key is still stored and in
	// every ring's JWK Set at now.
	check := func(now time.Time) {
		t.Helper()
		stored := st.stored(t, "OU1")
		sets := map[string][]string{}
		for _, r := range rings {
			sets[names[r]] = tenantJWKS(t, r, "OU1")
		}
		kept := live[:0]
		for _, tok := range live {
			if !now.Before(tok.exp) {
				continue
			}
			if !slices.ContainsFunc(stored, func(k domain.SigningKey) bool { return k.ID == tok.kid }) {
				t.Fatalf("%v: key %s of %s's live token was deleted", now.Sub(t0), tok.kid, tok.by)
			}
			for name, kids := range sets {
				if !slices.Contains(kids, tok.kid) {
					t.Fatalf("%v: %s's JWK Set lacks key %s of %s's live token", now.Sub(t0), name, tok.kid, tok.by)
				}
			}
			kept = append(kept, tok)
		}
		live = kept
	}

	var wg sync.WaitGroup
	var first [2]token
	for i, r := range []*KeyRing{a, b} {
		wg.Go(func() { first[i] = sign(r, t0) })
	}
	wg.Wait()
	if n := len(st.stored(t, "OU1")); n != 2 {
		t.Fatalf("%d keys stored, want each ring's first key", n)
	}
	live = append(live, first[0], first[1])
	check(t0)
	if first[0].kid == first[1].kid {
		t.Fatalf("both rings signed with %s; the race did not happen", first[0].kid)
	}

	end := t0.Add(TokenLifetime + retiredKeyGrace + keyMaxViewAge + 2*time.Minute)
	for now := t0; now.Before(end); {
		now = now.Add(5 * time.Second)
		check(now)
		since := now.Sub(t0)
		if since%KeyRefreshInterval == 0 {
			if err := a.Refresh(ctx, now); err != nil {
				t.Fatal(err)
			}
		}
		if since%KeyRefreshInterval == 10*time.Second {
			if err := b.Refresh(ctx, now); err != nil {
				t.Fatal(err)
			}
		}
		if since%time.Minute == 0 {
			if err := a.Rotate(ctx, now); err != nil {
				t.Fatal(err)
			}
		}
		check(now)
		live = append(live, sign(a, now), sign(b, now))
		check(now)
		if since > KeyRefreshInterval+10*time.Second && live[len(live)-1].kid != live[len(live)-2].kid {
			t.Fatalf("%v: after both refreshed, a signs with %s and b with %s", since, live[len(live)-2].kid, live[len(live)-1].kid)
		}
	}
	if keys := st.stored(t, "OU1"); len(keys) != 1 || keys[0].ID != live[len(live)-1].kid {
		t.Fatalf("stored at the end = %+v, want only the key both sign with", keys)
	}
}

// An attempt whose time is a little before that of a concurrent one that
// made the tenant's first key signs with that key, not a second one.
func TestSignatureTimedBeforeTheFirstKeyUsesIt(t *testing.T) {
	for name, storage := range map[string]func(*memKeys) KeyStorage{
		"one ring": func(m *memKeys) KeyStorage { return m },
		"shared":   func(m *memKeys) KeyStorage { return sharedKeys{m} },
	} {
		t.Run(name, func(t *testing.T) {
			st := newMemKeys()
			ring := NewKeyRing(storage(st), 0)
			kid := currentKID(t, ring, "OU1", t0.Add(time.Second))
			if got := currentKID(t, ring, "OU1", t0); got != kid {
				t.Errorf("an earlier attempt signs with %s, want %s", got, kid)
			}
			if n := st.count("InsertSigningKey"); n != 1 {
				t.Errorf("%d keys inserted, want 1", n)
			}
		})
	}
}

// A rotation period shorter than the lead time does not make a key per
// signature: each key signs for the lead time.
func TestSharedPeriodShorterThanLeadTime(t *testing.T) {
	st := newMemKeys()
	ring := NewKeyRing(sharedKeys{st}, 10*time.Second)
	kids := map[string]bool{}
	for now := t0; now.Before(t0.Add(3 * keyLeadTime)); now = now.Add(time.Second) {
		kids[currentKID(t, ring, "OU1", now)] = true
	}
	// One key per lead time signs, and the next one waits its turn.
	if n := st.count("InsertSigningKey"); len(kids) > 3 || n > len(kids)+1 {
		t.Errorf("in %v %d keys signed and %d were inserted, want at most 3 and one more", 3*keyLeadTime, len(kids), n)
	}
}
