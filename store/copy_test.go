package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"hooks/domain"
	"hooks/store/storetest"
)

var (
	copyKey      = bytes.Repeat([]byte{3}, MasterKeySize)
	otherCopyKey = bytes.Repeat([]byte{4}, MasterKeySize)
)

// copyFixture is what populateForCopy stored through the API, to look for
// in a copy.
type copyFixture struct {
	webhooks   []*domain.Endpoint
	apiKey     string // the secret of an API key bound to the tenant
	globalKey  string // the secret of an API key for every tenant
	user       *User
	resetLink  string // a password-reset link token of user
	password   string
	signingKey domain.SigningKey
	cookieKey  []byte
	delivery   string // a delivery with attempts and a callback
	attempts   []*domain.Attempt
}

// populateForCopy fills db with a row or more of every table, secrets
// sealed under its master key, NULLs and empty and binary blobs included.
func populateForCopy(t *testing.T, db *DB) copyFixture {
	t.Helper()
	ctx := context.Background()
	var f copyFixture
	if _, err := db.PutTenant(ctx, &domain.Tenant{ID: "OU1243", Name: "Unit 1243", Portal: domain.PortalBrand{Name: "Unit", Accent: "#0a7d4f"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutTenant(ctx, &domain.Tenant{ID: domain.DefaultTenant, Name: "Renamed default"}); err != nil {
		t.Fatal(err)
	}
	for _, tenant := range []string{domain.DefaultTenant, "OU1243"} {
		w := &domain.Endpoint{TenantID: tenant, Name: "orders " + tenant, URL: "https://example.com/" + tenant, Topics: []string{"orders/*"},
			SubTopics: []string{"product:adv/*"}, Enabled: true, Signing: domain.Signing{Scheme: "hmac-hex", Header: "X-Pepperi-Signature", Prefix: "sha256="},
			Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", PreviousSecret: "old " + tenant, PreviousSecretUntil: time.Now().Add(time.Hour),
			Headers: map[string]string{"X-Extra": "1"}, Envelope: domain.Envelope{Type: "raw"},
			Retry: domain.RetryPolicy{Schedule: "exponential", MaxAttempts: 3, RetryOn: domain.RetryOnPreset("5xx")}, Timeout: 5 * time.Second,
			Metadata: map[string]string{"api_key": "ak"}}
		if err := db.CreateEndpoint(ctx, w); err != nil {
			t.Fatal(err)
		}
		f.webhooks = append(f.webhooks, w)
	}
	// A parking hold, as a stopped instance can leave one (park.go).
	if err := db.ParkDeliveries(ctx, f.webhooks[0].ID, "process-1/parked", nil, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	events := []*domain.Event{
		{TenantID: "OU1243", Topic: "orders/placed", SubTopic: "product:adv/adv-120", Payload: []byte(`{"id":1}`), IdempotencyKey: "k1"},
		{TenantID: "OU1243", Topic: "orders/updated", SubTopic: "product:adv/adv-120", Payload: []byte(`{"id":2}`)},
		{TenantID: domain.DefaultTenant, Topic: "orders/placed", SubTopic: "product:adv/x", Payload: []byte(`{"id":3}`)},
	}
	if _, err := db.CreateEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	claimed, err := db.ClaimDue(ctx, "engine", time.Now().Add(time.Second), time.Minute, 2)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claim = %d, %v", len(claimed), err)
	}
	// Both attempts start in one minute (and one hour), whatever the clock says,
	// so the statistics hold one row of each.
	now := time.Now().UTC().Truncate(time.Minute).Add(10 * time.Second)
	f.delivery = claimed[0].ID
	f.attempts = []*domain.Attempt{
		// The body sent was the payload as is (NULL), and the answer
		// was empty (an empty blob, which is not NULL).
		{Trigger: domain.TriggerScheduled, URL: "https://example.com/a", StatusCode: 202, Duration: 12 * time.Millisecond,
			RequestHeaders: map[string][]string{"X-A": {"1"}}, ResponseHeaders: map[string][]string{"Content-Length": {"0"}},
			ResponseBody: []byte{}, StartedAt: now},
		// Bytes that are not text, both ways.
		{Trigger: domain.TriggerManual, URL: "https://example.com/a", StatusCode: 500, Duration: time.Second, Error: "server error",
			RequestBody: []byte{0, 1, 2, 0xff, 0xfe}, ResponseBody: []byte("\x00\xffoops"), ResponseTruncated: true, StartedAt: now.Add(time.Second)},
	}
	outcomes := []Outcome{
		{DeliveryID: claimed[0].ID, Status: domain.StatusAwaitingCallback, NextAttemptAt: now.Add(time.Minute), LastStatusCode: 500, Attempt: f.attempts[0]},
		{DeliveryID: claimed[0].ID, Status: domain.StatusAwaitingCallback, NextAttemptAt: now.Add(time.Minute), LastStatusCode: 500, Attempt: f.attempts[1],
			Callback: &Callback{URI: "https://example.com/status", Interval: 30 * time.Second, Deadline: now.Add(time.Hour), NextPollAt: now.Add(time.Minute), CreatedAt: now}},
		{DeliveryID: claimed[1].ID, Status: domain.StatusSucceeded, LastStatusCode: 200,
			Attempt: &domain.Attempt{Trigger: domain.TriggerScheduled, URL: "https://example.com/b", StatusCode: 200, StartedAt: now}},
	}
	if err := db.RecordOutcomes(ctx, outcomes); err != nil {
		t.Fatal(err)
	}
	if _, f.apiKey, err = db.CreateAPIKey(ctx, "OU1243", "ci"); err != nil {
		t.Fatal(err)
	}
	if _, f.globalKey, err = db.CreateAPIKey(ctx, "", "ops"); err != nil {
		t.Fatal(err)
	}
	f.password = "correct horse battery staple"
	hash, err := HashPassword(f.password)
	if err != nil {
		t.Fatal(err)
	}
	f.user = &User{Email: "Ops@Example.com", PasswordHash: hash, Role: RoleAdmin}
	if err := db.CreateUser(ctx, f.user); err != nil {
		t.Fatal(err)
	}
	if f.resetLink, err = db.CreateUserLink(ctx, f.user.ID, LinkReset, time.Hour); err != nil {
		t.Fatal(err)
	}
	f.signingKey = domain.SigningKey{ID: "kid-1", TenantID: "OU1243", PrivateKey: []byte("\x30\x82 not really DER \x00\xff"), CreatedAt: now}
	if err := db.InsertSigningKey(ctx, f.signingKey); err != nil {
		t.Fatal(err)
	}
	// A portal link, used: its session must survive the copy.
	if _, err := db.CreatePortalSession(ctx, &PortalSession{TenantID: "OU1243", Role: domain.PortalAdmin, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if f.cookieKey, err = db.RandomSetting(ctx, "session_auth_key", 32); err != nil {
		t.Fatal(err)
	}
	if err := db.InsertAuditRecord(ctx, &AuditRecord{At: now, TenantID: "OU1243", ActorID: f.user.ID, ActorKind: "user",
		Action: "webhook.updated", ObjectType: "webhook", ObjectID: f.webhooks[1].ID, ClientAddr: "192.0.2.1", Detail: "url"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutEventType(ctx, &domain.EventType{TenantID: "OU1243", Name: "orders/placed", Description: "An order",
		Schema: json.RawMessage(`{"type":"object"}`), Examples: []json.RawMessage{json.RawMessage(`{"id":1}`)}}); err != nil {
		t.Fatal(err)
	}
	return f
}

// dumpForCopy returns every row of every table that Copy copies, as
// sorted text that tells NULL from an empty blob and text from bytes.
func dumpForCopy(t *testing.T, db *DB) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for _, tbl := range copyTables {
		rows, err := db.read.QueryContext(ctx, `SELECT `+strings.Join(tbl.cols, ", ")+` FROM `+tbl.name)
		if err != nil {
			t.Fatal(err)
		}
		vals := make([]any, len(tbl.cols))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			b.WriteString(tbl.name)
			for i, v := range vals {
				fmt.Fprintf(&b, " %s=", tbl.cols[i])
				switch v := v.(type) {
				case nil:
					b.WriteString("NULL")
				case []byte:
					fmt.Fprintf(&b, "x'%x'", v)
				case string:
					fmt.Fprintf(&b, "%q", v)
				case int64:
					fmt.Fprintf(&b, "%d", v)
				default:
					fmt.Fprintf(&b, "%T(%v)", v, v)
				}
			}
			out = append(out, b.String())
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	slices.Sort(out)
	return out
}

// checkCopy checks through the store's API that dst holds f, and that
// its rows are src's, value for value.
func checkCopy(t *testing.T, dst, src *DB, f copyFixture) {
	t.Helper()
	ctx := context.Background()
	want, got := dumpForCopy(t, src), dumpForCopy(t, dst)
	if !slices.Equal(got, want) {
		for _, r := range want {
			if !slices.Contains(got, r) {
				t.Errorf("missing from the copy: %s", r)
			}
		}
		for _, r := range got {
			if !slices.Contains(want, r) {
				t.Errorf("not in the source: %s", r)
			}
		}
		t.Fatalf("the copy has %d rows, the source %d", len(got), len(want))
	}
	for _, w := range f.webhooks {
		got, err := dst.EndpointByID(ctx, w.TenantID, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Secret != w.Secret || got.PreviousSecret != w.PreviousSecret || got.Name != w.Name {
			t.Errorf("webhook %s in the copy: secret %q, previous %q, name %q", w.ID, got.Secret, got.PreviousSecret, got.Name)
		}
	}
	for _, secret := range []string{f.apiKey, f.globalKey} {
		if _, err := dst.APIKeyBySecret(ctx, secret); err != nil {
			t.Errorf("API key in the copy: %v", err)
		}
	}
	u, err := dst.UserByEmail(ctx, "ops@example.com")
	if err != nil || !CheckPassword(u, f.password) || u.ID != f.user.ID {
		t.Errorf("user in the copy: %+v, %v", u, err)
	}
	if u, err := dst.UserLink(ctx, f.resetLink, LinkReset); err != nil || u.ID != f.user.ID {
		t.Errorf("reset link in the copy: %+v, %v", u, err)
	}
	keys, err := dst.SigningKeys(ctx, f.signingKey.TenantID)
	if err != nil || len(keys) != 1 || !bytes.Equal(keys[0].PrivateKey, f.signingKey.PrivateKey) {
		t.Errorf("signing keys in the copy: %v, %v", keys, err)
	}
	cookie, err := dst.RandomSetting(ctx, "session_auth_key", 32)
	if err != nil || !bytes.Equal(cookie, f.cookieKey) {
		t.Errorf("session key in the copy: %x, %v; want %x", cookie, err, f.cookieKey)
	}
	attempts, err := dst.AttemptsByDelivery(ctx, f.delivery)
	if err != nil || len(attempts) != len(f.attempts) {
		t.Fatalf("attempts in the copy: %d, %v", len(attempts), err)
	}
	for i, a := range attempts {
		if !bytes.Equal(a.RequestBody, f.attempts[i].RequestBody) || !bytes.Equal(a.ResponseBody, f.attempts[i].ResponseBody) ||
			a.ResponseTruncated != f.attempts[i].ResponseTruncated || !a.StartedAt.Equal(f.attempts[i].StartedAt) {
			t.Errorf("attempt %d in the copy: %+v, want %+v", i, a, f.attempts[i])
		}
	}
	if cb, err := dst.CallbackByDelivery(ctx, f.delivery); err != nil || cb.URI != "https://example.com/status" {
		t.Errorf("callback in the copy: %+v, %v", cb, err)
	}
}

// testCopy copies a database populated through the API from srcDSN into
// the empty database at dstDSN and checks the copy, then that it opens
// with the source's master key only.
func testCopy(t *testing.T, srcDSN, dstDSN string) {
	ctx := context.Background()
	src, err := Open(ctx, srcDSN, WithMasterKey(copyKey))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	f := populateForCopy(t, src)
	dst, err := Open(ctx, dstDSN, WithMasterKey(copyKey))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()

	var reported []CopyProgress
	if err := Copy(ctx, dst, src, func(p CopyProgress) { reported = append(reported, p) }); err != nil {
		t.Fatal(err)
	}
	checkCopy(t, dst, src, f)
	var done []string
	for _, p := range reported {
		if p.Done {
			done = append(done, fmt.Sprintf("%s %d", p.Table, p.Rows))
		}
	}
	if want := []string{"tenants 2", "settings 2", "endpoints 2", "events 3", "deliveries 3", "attempts 3",
		"callbacks 1", "api_keys 2", "users 1", "user_tokens 1", "signing_keys 1", "endpoint_holds 1", "portal_sessions 1",
		"stats_minutes 1", "stats_hours 1", "audit_log 1", "event_types 1"}; !slices.Equal(done, want) {
		t.Errorf("progress reported %q, want %q", done, want)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}

	if db, err := Open(ctx, dstDSN, WithMasterKey(otherCopyKey)); !errors.Is(err, ErrWrongMasterKey) {
		if err == nil {
			db.Close()
		}
		t.Fatalf("the copy opened with another master key: %v", err)
	}
	dst, err = Open(ctx, dstDSN, WithMasterKey(copyKey))
	if err != nil {
		t.Fatalf("the copy does not open with the source's master key: %v", err)
	}
	defer dst.Close()
	checkCopy(t, dst, src, f)
}

func TestCopySQLiteToSQLiteKeepsEveryRowAndSecret(t *testing.T) {
	testCopy(t, filepath.Join(t.TempDir(), "hooks.db"), filepath.Join(t.TempDir(), "copy.db"))
}

func TestCopySQLiteToPostgresKeepsEveryRowAndSecret(t *testing.T) {
	testCopy(t, filepath.Join(t.TempDir(), "hooks.db"), storetest.PostgresDSN(t))
}

func TestCopyPostgresToSQLiteKeepsEveryRowAndSecret(t *testing.T) {
	testCopy(t, storetest.PostgresDSN(t), filepath.Join(t.TempDir(), "copy.db"))
}

func TestCopyRefusesADestinationWithData(t *testing.T) {
	ctx := context.Background()
	src := openTestDB(t, WithMasterKey(copyKey))
	populateForCopy(t, src)
	dst := openTestDB(t, WithMasterKey(copyKey))
	w := createTestWebhook(t, dst, "t")
	before := dumpForCopy(t, dst)
	if err := Copy(ctx, dst, src, nil); !errors.Is(err, ErrCopyDestinationNotEmpty) {
		t.Fatalf("Copy into a database with an endpoint: %v", err)
	}
	if after := dumpForCopy(t, dst); !slices.Equal(after, before) {
		t.Errorf("a refused copy changed the destination:\n%q\nwas\n%q", after, before)
	}
	if _, err := dst.EndpointByID(ctx, domain.DefaultTenant, w.ID); err != nil {
		t.Error(err)
	}
}

func TestCopyRefusesADestinationUnderAnotherMasterKey(t *testing.T) {
	ctx := context.Background()
	src := openTestDB(t, WithMasterKey(copyKey))
	populateForCopy(t, src)
	dst := openTestDB(t, WithMasterKey(otherCopyKey))
	if err := Copy(ctx, dst, src, nil); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("Copy into a database under another master key: %v", err)
	}
	if n, err := dst.CountEndpoints(ctx, domain.DefaultTenant); err != nil || n != 0 {
		t.Errorf("a refused copy wrote %d endpoints, %v", n, err)
	}
}

func TestCopyKnowsEveryTable(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "hooks.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.read.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(copyTables, func(c copyTable) bool { return c.name == name }) {
			t.Errorf("Copy leaves table %s behind; add it to copyTables", name)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestCopyInBatchesOfRowsAndBytes(t *testing.T) {
	ctx := context.Background()
	src := openTestDB(t)
	// 1,234 events, which would be three batches by rows alone; but every
	// other one has a 40 KiB payload, so batches end on the byte bound.
	const n = 1234
	big := bytes.Repeat([]byte("x"), 40<<10)
	var events []*domain.Event
	for i := range n {
		payload := []byte(fmt.Sprintf(`{"n":%d}`, i))
		if i%2 == 0 {
			payload = big
		}
		events = append(events, &domain.Event{TenantID: domain.DefaultTenant, Topic: "t", Payload: payload})
	}
	for chunk := range slices.Chunk(events, 200) {
		if _, err := src.CreateEvents(ctx, chunk); err != nil {
			t.Fatal(err)
		}
	}
	dst, err := Open(ctx, filepath.Join(t.TempDir(), "copy.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	var seen []int64
	err = Copy(ctx, dst, src, func(p CopyProgress) {
		if p.Table == "events" {
			seen = append(seen, p.Rows)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	// One report per batch, then one when the table is done.
	if len(seen) < 5 || seen[len(seen)-1] != n || !slices.IsSorted(seen) {
		t.Errorf("events progress %v, want more than 3 batches, ending at %d", seen, n)
	}
	for i := 1; i < len(seen)-1; i++ {
		if d := seen[i] - seen[i-1]; d > copyBatchRows {
			t.Errorf("a batch of %d rows", d)
		}
	}
	if want, got := dumpForCopy(t, src), dumpForCopy(t, dst); !slices.Equal(got, want) {
		t.Errorf("the copy has %d rows, the source %d, or they differ", len(got), len(want))
	}
}
