package delivery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"hooks/domain"
)

func init() { newBrokerSender[domain.DestinationNATS] = newNATSSender }

// natsSender publishes to a NATS JetStream subject and waits for the
// stream's ack. Nats-Msg-Id is the delivery id, so JetStream drops the
// copy that a retry sends after an ack was lost (within the stream's
// duplicate window, 2 minutes by default). One connection serves every
// attempt; the client reconnects by itself after an outage.
type natsSender struct {
	d   domain.Destination
	env brokerEnv

	mu      sync.Mutex
	nc      *nats.Conn
	js      jetstream.JetStream
	closed  bool
	dialErr error
	dialAt  time.Time
}

func newNATSSender(d domain.Destination, env brokerEnv) brokerSender {
	return &natsSender{d: d, env: env}
}

// Send publishes m and waits for JetStream's ack.
func (s *natsSender) Send(ctx context.Context, m Message) Reply {
	js, err := s.conn(ctx)
	if err != nil {
		return Reply{Err: err}
	}
	// A copy: the client adds Nats-Msg-Id to the message's header.
	header := make(nats.Header, len(m.Header)+1)
	for k, v := range m.Header {
		header[k] = v
	}
	msg := &nats.Msg{Subject: s.d.Subject, Data: m.Body, Header: header}
	ack, err := js.PublishMsg(ctx, msg, jetstream.WithMsgID(m.DeliveryID))
	if err != nil {
		if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) {
			return Reply{Err: fmt.Errorf("no JetStream stream captures subject %q: %w", s.d.Subject, err)}
		}
		return Reply{Err: fmt.Errorf("publish: %w", err)}
	}
	note := ""
	if ack.Duplicate {
		note = " (a duplicate of a copy already stored, dropped by the stream)"
	}
	return Reply{StatusCode: http.StatusAccepted, Body: fmt.Appendf(nil, "acknowledged by JetStream: stream %s, sequence %d%s", ack.Stream, ack.Sequence, note)}
}

// conn returns the JetStream context, connecting first if need be.
func (s *natsSender) conn(ctx context.Context) (jetstream.JetStream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("the connection was closed: the endpoint changed or hooks is stopping")
	}
	if s.nc != nil && !s.nc.IsClosed() {
		return s.js, nil
	}
	if s.dialErr != nil && time.Since(s.dialAt) < redialAfter {
		return nil, s.dialErr
	}
	timeout := domain.MaxTimeout
	if deadline, ok := ctx.Deadline(); ok {
		timeout = time.Until(deadline)
	}
	nc, err := nats.Connect(s.d.URL, nats.Name("hooks"), nats.Timeout(timeout),
		nats.SetCustomDialer(natsDialer{s.env, timeout}),
		// Once connected, reconnect for as long as the sender lives; while
		// it is away, publishes wait for their ack until their deadline.
		nats.MaxReconnects(-1), nats.ReconnectWait(500*time.Millisecond))
	if err != nil {
		s.dialErr, s.dialAt = fmt.Errorf("connect to NATS: %w", err), time.Now()
		return nil, s.dialErr
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("JetStream: %w", err)
	}
	s.nc, s.js, s.dialErr = nc, js, nil
	return js, nil
}

// natsDialer connects through the network policy, to the URL's server and
// to any the server tells the client of.
type natsDialer struct {
	env     brokerEnv
	timeout time.Duration
}

func (d natsDialer) Dial(network, address string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	return d.env.policy.DialContext(ctx, network, address)
}

// Close closes the connection.
func (s *natsSender) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.nc != nil {
		s.nc.Close()
	}
	return nil
}
