// Package sign turns a delivery's body into the headers that a receiver
// checks: one Signer type per scheme that hooks reproduces (Standard
// Webhooks v1 and v1a, HMAC-SHA256 in hex or base64, a shared secret header,
// and JWT), and NewAll, which runs several on one request.
package sign

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hooks/domain"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Meta describes the attempt being signed.
type Meta struct {
	DeliveryID string    // the delivery's id: the same on every retry
	EndpointID string    // the endpoint (wbh_) id
	TenantID   string    // the tenant that owns the endpoint
	Timestamp  time.Time // when this attempt is sent
}

// A Signer adds authentication headers to an outgoing request.
type Signer interface {
	Sign(h http.Header, body []byte, m Meta) error
}

// ErrInvalidOptions reports signing options that can't produce a signer.
var ErrInvalidOptions = errors.New("invalid signing options")

// New returns the signer for opts. secrets holds the current secret first,
// then any previous secret still valid during a rotation. The jwt scheme
// needs a JWT signer from the caller and is built with NewJWT instead.
func New(opts domain.Signing, secrets []string) (Signer, error) {
	// Validate a copy so that options that skipped the API (a stored row, a
	// test) can't produce a signer that writes an empty or invalid header.
	if err := opts.Normalize(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	if len(secrets) == 0 || secrets[0] == "" {
		return nil, fmt.Errorf("%w: no secret", ErrInvalidOptions)
	}
	switch opts.Scheme {
	case "", domain.SchemeStandard:
		return NewStandard(secrets)
	case domain.SchemeStandardV1a:
		s := &Standard{}
		return s, s.addV1a(secrets)
	case domain.SchemeHMAC:
		return &HMAC{header: http.CanonicalHeaderKey(opts.Header), prefix: opts.Prefix, base64: opts.Encoding == "base64", key: []byte(secrets[0])}, nil
	case domain.SchemeSharedSecret:
		return &SharedSecret{header: http.CanonicalHeaderKey(opts.Header), secret: secrets[0]}, nil
	}
	return nil, fmt.Errorf("%w: scheme %q needs its own constructor", ErrInvalidOptions, opts.Scheme)
}

// Scheme is one signing scheme of an endpoint with the secrets it signs
// with now, the current one first.
type Scheme struct {
	Options domain.Signing
	Secrets []string
}

// NewAll returns one signer that adds the headers of every scheme to a
// request, in order. Standard Webhooks v1 and v1a share one signer, so that
// their signatures go in one webhook-signature header, space separated, as
// the specification allows. jwt is the caller's JWT signer, needed only when
// a scheme is jwt.
func NewAll(schemes []Scheme, jwt Signer) (Signer, error) {
	var all Multi
	var std *Standard
	for _, sc := range schemes {
		switch sc.Options.Scheme {
		case domain.SchemeJWT:
			if jwt == nil {
				return nil, fmt.Errorf("%w: the jwt scheme needs a JWT signer", ErrInvalidOptions)
			}
			all = append(all, jwt)
			continue
		case "", domain.SchemeStandard, domain.SchemeStandardV1a:
			if len(sc.Secrets) == 0 || sc.Secrets[0] == "" {
				return nil, fmt.Errorf("%w: no secret", ErrInvalidOptions)
			}
			if std == nil {
				std = &Standard{}
				all = append(all, std)
			}
			var err error
			if sc.Options.Scheme == domain.SchemeStandardV1a {
				err = std.addV1a(sc.Secrets)
			} else {
				err = std.addV1(sc.Secrets)
			}
			if err != nil {
				return nil, err
			}
			continue
		}
		s, err := New(sc.Options, sc.Secrets)
		if err != nil {
			return nil, err
		}
		all = append(all, s)
	}
	if len(all) == 1 {
		return all[0], nil
	}
	return all, nil
}

// Multi runs several signers on one request, in order.
type Multi []Signer

// Sign implements Signer.
func (ms Multi) Sign(h http.Header, body []byte, m Meta) error {
	for _, s := range ms {
		if err := s.Sign(h, body, m); err != nil {
			return err
		}
	}
	return nil
}

// Standard signs as Standard Webhooks does: webhook-id, webhook-timestamp and
// webhook-signature "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>" and,
// for v1a, "v1a,<base64 Ed25519 signature of id.timestamp.body>", one
// signature per valid secret, space separated.
type Standard struct {
	keys   [][]byte
	macs   []sync.Pool // per key: *hmacState, keyed once and reset for each signature
	edKeys []ed25519.PrivateKey
	buf    sync.Pool // *[]byte holding id.timestamp.body for Ed25519
}

// hmacState is an HMAC-SHA256 keyed with one of a Standard's keys, and a
// buffer for the signed prefix and the sum. Keying one costs two SHA-256
// blocks and a dozen allocations, which every signature paid before.
type hmacState struct {
	mac hash.Hash
	buf []byte
}

// NewStandard decodes "whsec_<base64>" secrets into a Standard signer.
func NewStandard(secrets []string) (*Standard, error) {
	s := &Standard{}
	return s, s.addV1(secrets)
}

func (s *Standard) addV1(secrets []string) error {
	for _, secret := range secrets {
		key, err := domain.DecodeStandardSecret(secret)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidOptions, err)
		}
		s.keys = append(s.keys, key)
	}
	s.macs = make([]sync.Pool, len(s.keys))
	return nil
}

// addV1a decodes "whsk_<base64>" private keys. The key is expanded here,
// once, rather than on every signature.
func (s *Standard) addV1a(secrets []string) error {
	for _, secret := range secrets {
		key, err := domain.V1aPrivateKey(secret)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidOptions, err)
		}
		s.edKeys = append(s.edKeys, key)
	}
	return nil
}

// Sign implements Signer.
func (s *Standard) Sign(h http.Header, body []byte, m Meta) error {
	ts := strconv.FormatInt(m.Timestamp.Unix(), 10)
	var sig strings.Builder
	sig.Grow(len(s.keys)*48 + len(s.edKeys)*92)
	for i, key := range s.keys {
		st, _ := s.macs[i].Get().(*hmacState)
		if st == nil {
			st = &hmacState{mac: hmac.New(sha256.New, key)}
		}
		st.buf = append(st.buf[:0], m.DeliveryID...)
		st.buf = append(st.buf, '.')
		st.buf = append(st.buf, ts...)
		st.buf = append(st.buf, '.')
		st.mac.Write(st.buf)
		st.mac.Write(body)
		if i > 0 {
			sig.WriteByte(' ')
		}
		sig.WriteString("v1,")
		st.buf = st.mac.Sum(st.buf[:0])
		var enc [44]byte // base64 of 32 bytes
		base64.StdEncoding.Encode(enc[:], st.buf)
		sig.Write(enc[:])
		st.mac.Reset()
		s.macs[i].Put(st)
	}
	if len(s.edKeys) > 0 {
		// Ed25519 signs a message, not a stream: assemble id.timestamp.body
		// in a pooled buffer rather than allocate one per attempt.
		bp, _ := s.buf.Get().(*[]byte)
		if bp == nil {
			bp = new([]byte)
		}
		msg := append((*bp)[:0], m.DeliveryID...)
		msg = append(msg, '.')
		msg = append(msg, ts...)
		msg = append(msg, '.')
		msg = append(msg, body...)
		for _, key := range s.edKeys {
			if sig.Len() > 0 {
				sig.WriteByte(' ')
			}
			sig.WriteString("v1a,")
			sig.WriteString(base64.StdEncoding.EncodeToString(ed25519.Sign(key, msg)))
		}
		if cap(msg) <= 1<<20 { // a rare large body is not kept alive
			*bp = msg
			s.buf.Put(bp)
		}
	}
	h["Webhook-Id"] = []string{m.DeliveryID}
	h["Webhook-Timestamp"] = []string{ts}
	h["Webhook-Signature"] = []string{sig.String()}
	return nil
}

// HMAC puts prefix + hex or base64 HMAC-SHA256(secret, body) in one header,
// as Pepperi and GitHub (hex, "sha256=") or Shopify and eWarehousing (base64) do.
type HMAC struct {
	header string
	prefix string
	base64 bool
	key    []byte
}

// Sign implements Signer.
func (s *HMAC) Sign(h http.Header, body []byte, _ Meta) error {
	mac := hmac.New(sha256.New, s.key)
	mac.Write(body)
	sum := mac.Sum(nil)
	var enc string
	if s.base64 {
		enc = base64.StdEncoding.EncodeToString(sum)
	} else {
		enc = hex.EncodeToString(sum)
	}
	h[s.header] = []string{s.prefix + enc}
	return nil
}

// SharedSecret sends the secret itself in a header, as Shopery does. It proves
// nothing about the body and is weaker than a signature.
type SharedSecret struct {
	header string
	secret string
}

// Sign implements Signer.
func (s *SharedSecret) Sign(h http.Header, _ []byte, _ Meta) error {
	h[s.header] = []string{s.secret}
	return nil
}
