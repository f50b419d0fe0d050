package delivery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"hooks/domain"
)

func init() { newBrokerSender[domain.DestinationRabbitMQ] = newRabbitSender }

// rabbitSender publishes to a RabbitMQ exchange over one connection, on a
// few channels in confirm mode, each carrying one publish at a time: the
// mandatory flag makes the broker return a message that no queue takes,
// and with one message in flight per channel a return belongs to it
// without bookkeeping. Channels are opened as concurrency needs them, up
// to the engine's per-endpoint concurrency in practice.
type rabbitSender struct {
	d   domain.Destination
	env brokerEnv

	mu      sync.Mutex
	conn    *amqp.Connection
	free    []*rabbitChannel
	closed  bool
	dialErr error     // the last failed connect, repeated for a moment
	dialAt  time.Time // when it failed
}

// rabbitChannel is a channel in confirm mode with its listeners.
type rabbitChannel struct {
	conn    *amqp.Connection
	ch      *amqp.Channel
	returns chan amqp.Return
	closing chan *amqp.Error
}

func newRabbitSender(d domain.Destination, env brokerEnv) brokerSender {
	return &rabbitSender{d: d, env: env}
}

// Send publishes m persistent, mandatory, and waits for the broker's confirm.
func (s *rabbitSender) Send(ctx context.Context, m Message) Reply {
	c, err := s.channel(ctx)
	if err != nil {
		return Reply{Err: err}
	}
	// A return left from a publish that timed out is not this message's.
	for len(c.returns) > 0 {
		<-c.returns
	}
	headers := make(amqp.Table, len(m.Header))
	for k, v := range m.Header {
		if len(v) > 0 {
			headers[k] = v[0]
		}
	}
	pub := amqp.Publishing{Headers: headers, ContentType: "application/json", DeliveryMode: amqp.Persistent,
		MessageId: m.DeliveryID, Timestamp: time.Now(), Body: m.Body}
	dc, err := c.ch.PublishWithDeferredConfirmWithContext(ctx, s.d.Exchange, s.d.RoutingKey, true, false, pub)
	if err != nil {
		s.discard(c)
		return Reply{Err: fmt.Errorf("publish: %w", err)}
	}
	acked, err := dc.WaitContext(ctx)
	if err != nil {
		// No confirm in time: the channel may confirm later, and a return
		// then would be taken for the next message's. Start afresh.
		s.discard(c)
		return Reply{Err: err}
	}
	// The broker sends basic.return before the ack of the same message, and
	// the client hands it over before it handles the ack.
	select {
	case r, ok := <-c.returns:
		if !ok {
			break // the channel closed: see below
		}
		s.release(c)
		return Reply{Err: fmt.Errorf("the broker returned the message as unroutable: %d %s (exchange %q, routing key %q has no queue bound)",
			r.ReplyCode, r.ReplyText, r.Exchange, r.RoutingKey)}
	default:
	}
	if !acked {
		// A nack, or the channel closed: say why when the broker did.
		select {
		case e := <-c.closing:
			if e != nil {
				s.discard(c)
				return Reply{Err: fmt.Errorf("the broker closed the channel: %w", e)}
			}
		default:
		}
		s.discard(c)
		return Reply{Err: errors.New("the broker did not confirm the message (nack)")}
	}
	s.release(c)
	return Reply{StatusCode: http.StatusAccepted, Body: fmt.Appendf(nil, "confirmed by RabbitMQ (delivery tag %d)", dc.DeliveryTag)}
}

// channel returns a free channel, connecting first if need be.
func (s *rabbitSender) channel(ctx context.Context) (*rabbitChannel, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("the connection was closed: the endpoint changed or hooks is stopping")
	}
	for len(s.free) > 0 {
		c := s.free[len(s.free)-1]
		s.free = s.free[:len(s.free)-1]
		if !c.ch.IsClosed() && c.conn == s.conn && !s.conn.IsClosed() {
			return c, nil
		}
		c.ch.Close()
	}
	if s.conn == nil || s.conn.IsClosed() {
		// Attempts queue on the lock while one connects: while the broker
		// is down they fail with that connect's error rather than each
		// waiting out its own.
		if s.dialErr != nil && time.Since(s.dialAt) < redialAfter {
			return nil, s.dialErr
		}
		conn, err := s.dial(ctx)
		if err != nil {
			s.dialErr, s.dialAt = err, time.Now()
			return nil, err
		}
		s.conn, s.dialErr = conn, nil
	}
	ch, err := s.conn.Channel()
	if err != nil {
		return nil, fmt.Errorf("open channel: %w", err)
	}
	if err := ch.Confirm(false); err != nil {
		ch.Close()
		return nil, fmt.Errorf("confirm mode: %w", err)
	}
	return &rabbitChannel{conn: s.conn, ch: ch, returns: ch.NotifyReturn(make(chan amqp.Return, 1)),
		closing: ch.NotifyClose(make(chan *amqp.Error, 1))}, nil
}

// dial connects through the network policy, within ctx's deadline for the
// TCP, TLS and AMQP handshakes; heartbeats watch the connection after.
func (s *rabbitSender) dial(ctx context.Context) (*amqp.Connection, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(domain.MaxTimeout)
	}
	cfg := amqp.Config{
		Heartbeat:  10 * time.Second,
		Locale:     "en_US",
		Properties: amqp.Table{"connection_name": "hooks"},
		Dial: func(network, addr string) (net.Conn, error) {
			dctx, cancel := context.WithDeadline(context.Background(), deadline)
			defer cancel()
			conn, err := s.env.policy.DialContext(dctx, network, addr)
			if err != nil {
				return nil, err
			}
			// Cleared by the client once the AMQP handshake is done.
			if err := conn.SetDeadline(deadline); err != nil {
				conn.Close()
				return nil, err
			}
			return conn, nil
		},
	}
	conn, err := amqp.DialConfig(s.d.URL, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to RabbitMQ: %w", err)
	}
	return conn, nil
}

// release hands c back for the next publish.
func (s *rabbitSender) release(c *rabbitChannel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || c.conn != s.conn {
		c.ch.Close()
		return
	}
	s.free = append(s.free, c)
}

// discard closes c, whose state is unknown.
func (s *rabbitSender) discard(c *rabbitChannel) { c.ch.Close() }

// Close closes the connection and its channels.
func (s *rabbitSender) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.free = nil
	if s.conn != nil {
		return s.conn.Close()
	}
	return nil
}
