package domain

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Destination types: where an endpoint's deliveries go.
const (
	DestinationHTTP     = "http"
	DestinationRabbitMQ = "rabbitmq"
	DestinationKafka    = "kafka"
	DestinationNATS     = "nats"
	DestinationRedis    = "redis"
)

// Limits on a destination's fields.
const (
	MaxBrokers         = 16
	MaxDestinationName = 255 // exchange, routing key, topic, subject, stream
)

// Destination says which sender delivers an endpoint's messages and where
// to. The default, HTTP, posts to the endpoint's URL and uses no other
// field; a broker destination publishes to the broker its fields name, and
// the endpoint's URL then shows that target without credentials (Target).
//
// URL may carry credentials (amqp://user:password@host/vhost): it is a
// secret, sealed at rest and masked wherever it is shown.
type Destination struct {
	Type       string   `json:"type"`
	URL        string   `json:"url,omitempty"`        // rabbitmq, nats, redis
	Exchange   string   `json:"exchange,omitempty"`   // rabbitmq; "" is the default exchange
	RoutingKey string   `json:"routingKey,omitempty"` // rabbitmq
	Brokers    []string `json:"brokers,omitempty"`    // kafka: host:port seed brokers
	Topic      string   `json:"topic,omitempty"`      // kafka
	Subject    string   `json:"subject,omitempty"`    // nats
	Stream     string   `json:"stream,omitempty"`     // redis
	MaxLen     int64    `json:"maxLen,omitempty"`     // redis: XADD MAXLEN ~ maxLen; 0 = unbounded
}

// IsHTTP reports whether d is the HTTP destination, the default.
func (d *Destination) IsHTTP() bool { return d.Type == "" || d.Type == DestinationHTTP }

// Equal reports whether d and o are the same destination.
func (d *Destination) Equal(o Destination) bool {
	return d.Type == o.Type && d.URL == o.URL && d.Exchange == o.Exchange && d.RoutingKey == o.RoutingKey &&
		slices.Equal(d.Brokers, o.Brokers) && d.Topic == o.Topic && d.Subject == o.Subject && d.Stream == o.Stream && d.MaxLen == o.MaxLen
}

// Clone returns a copy of d that shares nothing with it.
func (d Destination) Clone() Destination {
	d.Brokers = slices.Clone(d.Brokers)
	return d
}

// Masked returns d with the credentials of its URL masked (MaskURL).
func (d Destination) Masked() Destination {
	d = d.Clone()
	d.URL = MaskURL(d.URL)
	return d
}

// CredentialMask replaces the password (or a lone user name, which NATS
// and Redis read as a token) of a broker URL wherever it is shown.
const CredentialMask = "••••"

// MaskURL returns raw with the credentials of its user info masked: the
// password of user:password@, or the whole of a lone token@. A URL without
// user info comes back as it is.
func MaskURL(raw string) string {
	scheme, userinfo, host, ok := cutUserinfo(raw)
	if !ok {
		return raw
	}
	user, _, hasPassword := strings.Cut(userinfo, ":")
	if !hasPassword {
		user = CredentialMask
	} else {
		user += ":" + CredentialMask
	}
	return scheme + "://" + user + "@" + host
}

// UnmaskURL is how an edit keeps a broker URL it did not change: a URL that
// is the mask of the stored one stands for it. Another URL holding the
// mask is refused, since storing the dots would break every delivery.
func UnmaskURL(submitted, stored string) (string, error) {
	if !strings.Contains(submitted, CredentialMask) {
		return submitted, nil
	}
	if stored != "" && MaskURL(stored) == submitted {
		return stored, nil
	}
	return "", FieldErrorf("destination.url", "the URL's credentials are masked (%s); enter them, or leave the masked URL of this webhook as it was to keep them", CredentialMask)
}

// Target returns where d delivers, as a URL without credentials: what the
// endpoint's URL shows for a broker destination, in lists, logs and the
// attempt log. It is "" for HTTP, whose target is the endpoint's URL.
func (d *Destination) Target() string {
	q := url.Values{}
	var base string
	switch d.Type {
	case DestinationRabbitMQ:
		base = stripUserinfo(d.URL)
		q.Set("exchange", d.Exchange)
		q.Set("routingKey", d.RoutingKey)
	case DestinationKafka:
		base = "kafka://" + strings.Join(d.Brokers, ",") + "/"
		q.Set("topic", d.Topic)
	case DestinationNATS:
		base = stripUserinfo(d.URL)
		q.Set("subject", d.Subject)
	case DestinationRedis:
		base = stripUserinfo(d.URL)
		q.Set("stream", d.Stream)
	default:
		return ""
	}
	if strings.Contains(base, "?") {
		return base + "&" + q.Encode()
	}
	return base + "?" + q.Encode()
}

// stripUserinfo returns raw without its user info.
func stripUserinfo(raw string) string {
	scheme, _, host, ok := cutUserinfo(raw)
	if !ok {
		return raw
	}
	return scheme + "://" + host
}

// cutUserinfo splits scheme://userinfo@host... around its user info; host
// is the rest of the URL after the "@". ok is false when raw has no scheme
// or no user info: an "@" after the first "/", "?" or "#" belongs to the
// path, query or fragment.
func cutUserinfo(raw string) (scheme, userinfo, host string, ok bool) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return "", "", "", false
	}
	at := strings.LastIndex(rest, "@")
	if slash := strings.IndexAny(rest, "/?#"); at < 0 || (slash >= 0 && slash < at) {
		return "", "", "", false
	}
	return scheme, rest[:at], rest[at+1:], true
}

// normalize checks a broker destination and clears the fields its type
// does not use. host vets a broker's host[:port] under the network policy
// (the private-address rule); its error is shown as it is.
func (d *Destination) normalize(host func(hostport string) error) error {
	keep := Destination{Type: d.Type}
	switch d.Type {
	case "", DestinationHTTP:
		*d = Destination{Type: DestinationHTTP}
		return nil
	case DestinationRabbitMQ:
		keep.URL, keep.Exchange, keep.RoutingKey = strings.TrimSpace(d.URL), strings.TrimSpace(d.Exchange), strings.TrimSpace(d.RoutingKey)
		if err := checkBrokerURL(keep.URL, []string{"amqp", "amqps"}, host); err != nil {
			return err
		}
		if err := checkName("destination.exchange", keep.Exchange, true); err != nil {
			return err
		}
		if keep.Exchange == "" && keep.RoutingKey == "" {
			return FieldErrorf("destination.routingKey", "name an exchange, a routing key, or both (the default exchange routes by queue name)")
		}
		if err := checkName("destination.routingKey", keep.RoutingKey, true); err != nil {
			return err
		}
	case DestinationKafka:
		keep.Topic = strings.TrimSpace(d.Topic)
		if len(d.Brokers) == 0 {
			return FieldErrorf("destination.brokers", "name at least one broker as host:port")
		}
		if len(d.Brokers) > MaxBrokers {
			return FieldErrorf("destination.brokers", "at most %d brokers", MaxBrokers)
		}
		for i, b := range d.Brokers {
			b = strings.TrimSpace(b)
			if err := checkHostPort(fmt.Sprintf("destination.brokers[%d]", i), b, true, host); err != nil {
				return err
			}
			keep.Brokers = append(keep.Brokers, b)
		}
		if err := checkName("destination.topic", keep.Topic, false); err != nil {
			return err
		}
		for _, c := range keep.Topic {
			if !(c == '.' || c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return FieldErrorf("destination.topic", "a Kafka topic holds letters, digits, '.', '_' and '-' only")
			}
		}
	case DestinationNATS:
		keep.URL, keep.Subject = strings.TrimSpace(d.URL), strings.TrimSpace(d.Subject)
		if err := checkBrokerURL(keep.URL, []string{"nats", "tls"}, host); err != nil {
			return err
		}
		if err := checkName("destination.subject", keep.Subject, false); err != nil {
			return err
		}
		if strings.ContainsAny(keep.Subject, "*> \t") || strings.HasPrefix(keep.Subject, ".") || strings.HasSuffix(keep.Subject, ".") || strings.Contains(keep.Subject, "..") {
			return FieldErrorf("destination.subject", "a subject to publish to is dot-separated tokens without spaces or wildcards (* and >)")
		}
	case DestinationRedis:
		keep.URL, keep.Stream, keep.MaxLen = strings.TrimSpace(d.URL), strings.TrimSpace(d.Stream), d.MaxLen
		if err := checkBrokerURL(keep.URL, []string{"redis", "rediss"}, host); err != nil {
			return err
		}
		if err := checkName("destination.stream", keep.Stream, false); err != nil {
			return err
		}
		if keep.MaxLen < 0 {
			return FieldErrorf("destination.maxLen", "maxLen must be 0 (unbounded) or more")
		}
	default:
		return FieldErrorf("destination.type", "unknown type %q (want http, rabbitmq, kafka, nats or redis)", d.Type)
	}
	*d = keep
	return nil
}

// checkName checks an exchange, routing key, topic, subject or stream.
func checkName(field, name string, mayBeEmpty bool) error {
	if name == "" && !mayBeEmpty {
		return FieldErrorf(field, "%s is required", strings.TrimPrefix(field, "destination."))
	}
	if len(name) > MaxDestinationName || strings.ContainsAny(name, "\r\n\x00") {
		return FieldErrorf(field, "%s must be one line of at most %d bytes", strings.TrimPrefix(field, "destination."), MaxDestinationName)
	}
	return nil
}

// checkBrokerURL checks a broker URL: one of schemes, a host, a port in
// range, and a host the network policy allows.
func checkBrokerURL(raw string, schemes []string, host func(string) error) error {
	const field = "destination.url"
	if raw == "" {
		return FieldErrorf(field, "the broker URL is required (%s://host:port)", schemes[0])
	}
	if len(raw) > 2048 || strings.ContainsAny(raw, " \t\r\n\x00") {
		return FieldErrorf(field, "the broker URL must be one line of at most 2048 bytes without spaces")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the URL, credentials and all.
		return FieldErrorf(field, "the broker URL can't be parsed; write it as %s://user:password@host:port", schemes[0])
	}
	if !slices.Contains(schemes, u.Scheme) {
		return FieldErrorf(field, "the broker URL must start with %s://", strings.Join(schemes, ":// or "))
	}
	if u.Fragment != "" {
		return FieldErrorf(field, "the broker URL has a fragment (#...); remove it")
	}
	return checkHostPort(field, u.Host, false, host)
}

// checkHostPort checks a broker's host[:port]; needPort says the port must
// be there (Kafka's seed list has no scheme to imply one).
func checkHostPort(field, hostport string, needPort bool, host func(string) error) error {
	if hostport == "" {
		return FieldErrorf(field, "the broker address has no host")
	}
	h, port, err := net.SplitHostPort(hostport)
	switch {
	case err != nil && needPort:
		return FieldErrorf(field, "%q is not host:port", hostport)
	case err != nil:
		h = strings.Trim(hostport, "[]")
	default:
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 {
			return FieldErrorf(field, "port %q is out of range; it must be between 1 and 65535", port)
		}
	}
	if h == "" {
		return FieldErrorf(field, "the broker address has no host")
	}
	if host != nil {
		if err := host(h); err != nil {
			return &Error{Code: EINVALID, Field: field, Message: err.Error(), Err: err}
		}
	}
	return nil
}
