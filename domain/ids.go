package domain

import (
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
)

// ID prefixes name the type of every object.
const (
	PrefixEndpoint = "wbh_"
	PrefixEvent    = "evt_"
	PrefixDelivery = "dlv_"
	PrefixAttempt  = "att_"
	PrefixAPIKey   = "key_"
	PrefixUser     = "usr_"
	PrefixPortal   = "prt_" // a customer-portal session
	PrefixAudit    = "aud_"
)

// NewID returns prefix + a new ULID. ULIDs sort by creation time, which
// keyset pagination and time-range filters rely on.
func NewID(prefix string) string {
	return prefix + ulid.Make().String()
}

// NewIDAt returns prefix + a new ULID made at t rather than now, for
// records whose time is read from an injected clock.
func NewIDAt(prefix string, t time.Time) string {
	return prefix + ulid.MustNew(ulid.Timestamp(t), ulid.DefaultEntropy()).String()
}

// TimeBoundID returns the smallest id with prefix created at t, for
// turning a time range into an id range.
func TimeBoundID(prefix string, t time.Time) string {
	var id ulid.ULID
	_ = id.SetTime(ulid.Timestamp(t))
	return prefix + id.String()
}

// IDTime returns when an id made by NewID was created.
func IDTime(id string) time.Time {
	i := strings.IndexByte(id, '_')
	u, err := ulid.ParseStrict(id[i+1:])
	if err != nil {
		return time.Time{}
	}
	return ulid.Time(u.Time()).UTC()
}
