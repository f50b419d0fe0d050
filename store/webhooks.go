package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hooks/domain"
	"strings"
	"time"
)

const endpointColumns = `id, tenant_id, name, url, topics, sub_topics, enabled, disabled_reason, disabled_at,
	signing, secret, previous_secret, previous_secret_until, headers, envelope, retry, timeout_ms, rate_limit,
	metadata, created_at, updated_at, destination, payload_filter`

// endpointReadColumns are what reads scan: endpointColumns and the
// receiver's pause, which only PauseEndpoint writes (park.go).
const endpointReadColumns = endpointColumns + `, paused_until`

// CreateEndpoint stores w as a new endpoint, setting its id and times.
func (db *DB) CreateEndpoint(ctx context.Context, w *domain.Endpoint) error {
	if _, err := db.TenantByID(ctx, w.TenantID); err != nil {
		return err
	}
	w.ID = domain.NewID(domain.PrefixEndpoint)
	w.CreatedAt = db.clock()
	w.UpdatedAt = w.CreatedAt
	cols, err := db.endpointValues(w)
	if err != nil {
		return err
	}
	_, err = db.write.ExecContext(ctx, `INSERT INTO endpoints (`+endpointColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, cols...)
	return wrapDBError(err, "insert webhook")
}

// UpdateEndpoint saves every mutable field of w.
func (db *DB) UpdateEndpoint(ctx context.Context, w *domain.Endpoint) error {
	w.UpdatedAt = db.clock()
	cols, err := db.endpointValues(w)
	if err != nil {
		return err
	}
	// Same order as webhookColumns, minus created_at (the 20th), which
	// stays: PostgreSQL refuses a parameter that the statement never uses.
	args := append(cols[:19:19], cols[20:]...)
	res, err := db.write.ExecContext(ctx, `UPDATE endpoints SET name=?3, url=?4, topics=?5, sub_topics=?6, enabled=?7,
		disabled_reason=?8, disabled_at=?9, signing=?10, secret=?11, previous_secret=?12, previous_secret_until=?13,
		headers=?14, envelope=?15, retry=?16, timeout_ms=?17, rate_limit=?18, metadata=?19, updated_at=?20,
		destination=?21, payload_filter=?22 WHERE id=?1 AND tenant_id=?2`, args...)
	if err != nil {
		return wrapDBError(err, "update webhook")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.Errorf(domain.ENOTFOUND, "webhook %s not found", w.ID)
	}
	return nil
}

// DeleteEndpoint removes an endpoint with its deliveries and attempts.
func (db *DB) DeleteEndpoint(ctx context.Context, tenantID, id string) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM endpoints WHERE id = ? AND tenant_id = ?`, id, tenantID)
	if err != nil {
		return wrapDBError(err, "delete webhook")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.Errorf(domain.ENOTFOUND, "webhook %s not found", id)
	}
	return nil
}

// EndpointByID returns the tenant's endpoint id, or ENOTFOUND.
func (db *DB) EndpointByID(ctx context.Context, tenantID, id string) (*domain.Endpoint, error) {
	row := db.read.QueryRowContext(ctx, `SELECT `+endpointReadColumns+` FROM endpoints WHERE id = ? AND tenant_id = ?`, id, tenantID)
	w, err := db.scanEndpoint(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ENOTFOUND, "webhook %s not found", id)
	}
	return w, err
}

// EndpointsByIDs returns the endpoints with the given ids, whatever their
// tenant, keyed by id. The engine uses it for a batch of deliveries.
func (db *DB) EndpointsByIDs(ctx context.Context, ids []string) (map[string]*domain.Endpoint, error) {
	out := make(map[string]*domain.Endpoint, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := db.query(ctx, db.read, `SELECT `+endpointReadColumns+` FROM endpoints WHERE id IN (`+db.sql.idList+`)`, jsonText(ids))
	if err != nil {
		return nil, wrapDBError(err, "read webhooks")
	}
	defer rows.Close()
	for rows.Next() {
		w, err := db.scanEndpoint(rows)
		if err != nil {
			return nil, err
		}
		out[w.ID] = w
	}
	return out, wrapDBError(rows.Err(), "read webhooks")
}

// Endpoints returns a page of the tenant's endpoints, newest first, starting
// after cursor (an id; "" for the first page), and the next page's cursor.
func (db *DB) Endpoints(ctx context.Context, tenantID, cursor string, limit int) ([]*domain.Endpoint, string, error) {
	if cursor == "" {
		cursor = "~" // after every id: ids are ASCII letters, digits and _
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+endpointReadColumns+` FROM endpoints WHERE tenant_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
		tenantID, cursor, limit+1)
	if err != nil {
		return nil, "", wrapDBError(err, "list webhooks")
	}
	defer rows.Close()
	var out []*domain.Endpoint
	for rows.Next() {
		w, err := db.scanEndpoint(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, "", wrapDBError(err, "list webhooks")
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, nil
}

// CountEndpoints returns how many endpoints the tenant has.
func (db *DB) CountEndpoints(ctx context.Context, tenantID string) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM endpoints WHERE tenant_id = ?`, tenantID).Scan(&n)
	return n, wrapDBError(err, "count webhooks")
}

// DisableEndpoint turns an endpoint off and records why. Its pending
// deliveries stay where they are and are skipped while it is off.
func (db *DB) DisableEndpoint(ctx context.Context, tenantID, id, reason string) error {
	return db.disableEndpoint(ctx, db.write, tenantID, id, reason)
}

// disableEndpoint is DisableEndpoint on q, the writer or a transaction.
func (db *DB) disableEndpoint(ctx context.Context, q execer, tenantID, id, reason string) error {
	now := db.clock()
	res, err := q.ExecContext(ctx, `UPDATE endpoints SET enabled = 0, disabled_reason = ?, disabled_at = ?, updated_at = ?
		WHERE id = ? AND tenant_id = ?`, reason, ms(now), ms(now), id, tenantID)
	if err != nil {
		return wrapDBError(err, "disable webhook")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.Errorf(domain.ENOTFOUND, "webhook %s not found", id)
	}
	return nil
}

type rowScanner interface{ Scan(dest ...any) error }

// scanEndpoint scans a row of webhookColumns and decrypts its secrets, its
// extra headers and its metadata.
func (db *DB) scanEndpoint(row rowScanner) (*domain.Endpoint, error) {
	w := &domain.Endpoint{}
	var topics, subTopics, signing, headers, envelope, retry, metadata, destination string
	var disabledAt, prevUntil, pausedUntil sql.NullInt64
	var timeoutMS, createdAt, updatedAt int64
	err := row.Scan(&w.ID, &w.TenantID, &w.Name, &w.URL, &topics, &subTopics, &w.Enabled, &w.DisabledReason, &disabledAt,
		&signing, &w.Secret, &w.PreviousSecret, &prevUntil, &headers, &envelope, &retry, &timeoutMS, &w.RateLimit,
		&metadata, &createdAt, &updatedAt, &destination, &w.Filter, &pausedUntil)
	if err != nil {
		return nil, wrapDBError(err, "scan webhook")
	}
	if err := db.openEndpointSecrets(w); err != nil {
		return nil, err
	}
	if headers, err = db.openString(headers, endpointFieldLabel("headers", w.ID)); err != nil {
		return nil, fmt.Errorf("webhook %s: %w", w.ID, err)
	}
	if metadata, err = db.openString(metadata, endpointFieldLabel("metadata", w.ID)); err != nil {
		return nil, fmt.Errorf("webhook %s: %w", w.ID, err)
	}
	for _, f := range []struct {
		src string
		dst any
	}{{topics, &w.Topics}, {subTopics, &w.SubTopics}, {headers, &w.Headers},
		{envelope, &w.Envelope}, {retry, &w.Retry}, {metadata, &w.Metadata}} {
		if err := json.Unmarshal([]byte(f.src), f.dst); err != nil {
			return nil, fmt.Errorf("webhook %s: decode column: %w", w.ID, err)
		}
	}
	if err := db.decodeSigning(w, signing); err != nil {
		return nil, fmt.Errorf("webhook %s: %w", w.ID, err)
	}
	if err := db.decodeDestination(w, destination); err != nil {
		return nil, fmt.Errorf("webhook %s: %w", w.ID, err)
	}
	w.DisabledAt, w.PreviousSecretUntil, w.PausedUntil = fromNullMS(disabledAt), fromNullMS(prevUntil), fromNullMS(pausedUntil)
	w.Timeout = time.Duration(timeoutMS) * time.Millisecond
	w.CreatedAt, w.UpdatedAt = fromMS(createdAt), fromMS(updatedAt)
	return w, nil
}

// endpointValues returns w's columns in webhookColumns order, its secrets,
// extra headers and metadata sealed under the master key. Header and
// metadata values are credentials as often as not (X-Api-Key, AlphaTouch's
// api_key), so each map is sealed whole, names included.
func (db *DB) endpointValues(w *domain.Endpoint) ([]any, error) {
	if w.Topics == nil {
		w.Topics = []string{}
	}
	if w.SubTopics == nil {
		w.SubTopics = []string{}
	}
	if w.Headers == nil {
		w.Headers = map[string]string{}
	}
	if w.Metadata == nil {
		w.Metadata = map[string]string{}
	}
	return []any{w.ID, w.TenantID, w.Name, w.URL, jsonText(w.Topics), jsonText(w.SubTopics), w.Enabled, w.DisabledReason,
		nullMS(w.DisabledAt), db.encodeSigning(w), db.sealString(w.Secret, endpointSecretLabel(w.ID, false)),
		db.sealString(w.PreviousSecret, endpointSecretLabel(w.ID, true)), nullMS(w.PreviousSecretUntil),
		db.sealString(jsonText(w.Headers), endpointFieldLabel("headers", w.ID)), jsonText(w.Envelope), jsonText(w.Retry),
		w.Timeout.Milliseconds(), w.RateLimit, db.sealString(jsonText(w.Metadata), endpointFieldLabel("metadata", w.ID)),
		ms(w.CreatedAt), ms(w.UpdatedAt), db.encodeDestination(w), w.Filter}, nil
}

// destinationLabel is the label of an endpoint's sealed destination.
func destinationLabel(id string) string { return "endpoints.destination:" + id }

// encodeDestination returns the destination column of w: empty for HTTP,
// else its JSON sealed whole, since a broker URL carries credentials.
func (db *DB) encodeDestination(w *domain.Endpoint) string {
	if w.Destination.IsHTTP() {
		return ""
	}
	return db.sealString(jsonText(w.Destination), destinationLabel(w.ID))
}

// decodeDestination reads a destination column written by encodeDestination into w.
func (db *DB) decodeDestination(w *domain.Endpoint, column string) error {
	if column == "" {
		w.Destination = domain.Destination{Type: domain.DestinationHTTP}
		return nil
	}
	plain, err := db.openString(column, destinationLabel(w.ID))
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(plain), &w.Destination); err != nil {
		return fmt.Errorf("decode destination: %w", err)
	}
	return nil
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("store: marshal %T: %v", v, err)) // only plain types reach here
	}
	return string(b)
}

// storedScheme is one element of the signing column when an endpoint has
// several schemes: the first element's secrets are in the secret columns,
// the others' here, each sealed under the master key like those columns.
type storedScheme struct {
	domain.Signing
	Secret              string `json:"secret,omitempty"`
	PreviousSecret      string `json:"previousSecret,omitempty"`
	PreviousSecretUntil int64  `json:"previousSecretUntil,omitempty"` // unix ms
}

// signingSecretLabel is the label of the secret of w's scheme i (i >= 1)
// in the signing column.
func signingSecretLabel(id string, i int, previous bool) string {
	if previous {
		return fmt.Sprintf("endpoints.signing[%d].previous_secret:%s", i, id)
	}
	return fmt.Sprintf("endpoints.signing[%d].secret:%s", i, id)
}

// encodeSigning returns the signing column of w: one scheme's options as an
// object, as hooks has always stored it, or a list when there are several.
func (db *DB) encodeSigning(w *domain.Endpoint) string {
	if len(w.AlsoSigning) == 0 {
		return jsonText(w.Signing)
	}
	list := []storedScheme{{Signing: w.Signing}}
	for i, s := range w.AlsoSigning {
		st := storedScheme{Signing: s.Signing, Secret: db.sealString(s.Secret, signingSecretLabel(w.ID, i+1, false)),
			PreviousSecret: db.sealString(s.PreviousSecret, signingSecretLabel(w.ID, i+1, true))}
		if !s.PreviousSecretUntil.IsZero() {
			st.PreviousSecretUntil = ms(s.PreviousSecretUntil)
		}
		list = append(list, st)
	}
	return jsonText(list)
}

// decodeSigning reads a signing column written by encodeSigning into w.
func (db *DB) decodeSigning(w *domain.Endpoint, column string) error {
	if !strings.HasPrefix(column, "[") {
		if err := json.Unmarshal([]byte(column), &w.Signing); err != nil {
			return fmt.Errorf("decode signing: %w", err)
		}
		return nil
	}
	var list []storedScheme
	if err := json.Unmarshal([]byte(column), &list); err != nil {
		return fmt.Errorf("decode signing: %w", err)
	}
	if len(list) == 0 {
		return errors.New("decode signing: no scheme")
	}
	w.Signing = list[0].Signing
	w.AlsoSigning = make([]domain.SchemeSecrets, 0, len(list)-1)
	for i, st := range list[1:] {
		s := domain.SchemeSecrets{Signing: st.Signing}
		var err error
		if s.Secret, err = db.openString(st.Secret, signingSecretLabel(w.ID, i+1, false)); err != nil {
			return err
		}
		if s.PreviousSecret, err = db.openString(st.PreviousSecret, signingSecretLabel(w.ID, i+1, true)); err != nil {
			return err
		}
		if st.PreviousSecretUntil != 0 {
			s.PreviousSecretUntil = fromMS(st.PreviousSecretUntil)
		}
		w.AlsoSigning = append(w.AlsoSigning, s)
	}
	return nil
}

// sealSigningColumn seals the secrets of a signing column that a database
// without a master key holds in the clear; a column with one scheme holds
// none and is returned as it is.
func (db *DB) sealSigningColumn(id, column string) (string, error) {
	if !strings.HasPrefix(column, "[") {
		return column, nil
	}
	var list []storedScheme
	if err := json.Unmarshal([]byte(column), &list); err != nil {
		return "", fmt.Errorf("webhook %s: decode signing: %w", id, err)
	}
	for i := 1; i < len(list); i++ {
		if strings.HasPrefix(list[i].Secret, sealedPrefix) || strings.HasPrefix(list[i].PreviousSecret, sealedPrefix) {
			return "", ErrWrongMasterKey
		}
		list[i].Secret = db.sealString(list[i].Secret, signingSecretLabel(id, i, false))
		list[i].PreviousSecret = db.sealString(list[i].PreviousSecret, signingSecretLabel(id, i, true))
	}
	return jsonText(list), nil
}
