package delivery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"hooks/domain"
)

func init() { newBrokerSender[domain.DestinationRedis] = newRedisSender }

// redisSender adds each message to a Redis stream with XADD: the headers
// as fields, then the envelope as the field "body". The reply, the
// entry's id, is the confirmation. Redis does not deduplicate: a retry
// after a lost reply adds a second entry with the same webhook-id field.
type redisSender struct {
	d   domain.Destination
	env brokerEnv

	mu     sync.Mutex
	client *redis.Client
	closed bool
}

func newRedisSender(d domain.Destination, env brokerEnv) brokerSender {
	return &redisSender{d: d, env: env}
}

// Send adds m to the stream, trimmed to about MaxLen entries if set.
func (s *redisSender) Send(ctx context.Context, m Message) Reply {
	c, err := s.conn()
	if err != nil {
		return Reply{Err: err}
	}
	values := make([]any, 0, 2*len(m.Header)+2)
	for k, v := range m.Header {
		values = append(values, k, strings.Join(v, ", "))
	}
	values = append(values, "body", m.Body)
	args := &redis.XAddArgs{Stream: s.d.Stream, ID: "*", Values: values}
	if s.d.MaxLen > 0 {
		args.MaxLen, args.Approx = s.d.MaxLen, true
	}
	id, err := c.XAdd(ctx, args).Result()
	if err != nil {
		return Reply{Err: fmt.Errorf("XADD: %w", err)}
	}
	return Reply{StatusCode: http.StatusAccepted, Body: fmt.Appendf(nil, "added to stream %s as entry %s", s.d.Stream, id)}
}

// conn returns the client, built on first use. It keeps a pool of
// connections and redials on its own.
func (s *redisSender) conn() (*redis.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("the connection was closed: the endpoint changed or hooks is stopping")
	}
	if s.client != nil {
		return s.client, nil
	}
	opts, err := redis.ParseURL(s.d.URL)
	if err != nil {
		return nil, errors.New("the Redis URL can't be used: " + scrubCredentials(err.Error(), &s.d))
	}
	opts.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return s.env.policy.DialContext(ctx, network, addr)
	}
	// hooks retries deliveries itself, on its schedule; a client retry
	// would add a second entry for one attempt.
	opts.MaxRetries = -1
	opts.ClientName = "hooks"
	// The attempt's deadline bounds each command.
	opts.ContextTimeoutEnabled = true
	s.client = redis.NewClient(opts)
	return s.client, nil
}

// Close closes the client's connections.
func (s *redisSender) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.client != nil {
		return s.client.Close()
	}
	return nil
}
