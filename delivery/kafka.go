package delivery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"

	"hooks/domain"
)

func init() { newBrokerSender[domain.DestinationKafka] = newKafkaSender }

// kafkaSender produces to a Kafka topic with an idempotent producer and
// acks from all in-sync replicas, keyed by the delivery id, so that a
// delivery's retries land on one partition. The client keeps its own
// connections to the brokers and finds new leaders after an outage.
type kafkaSender struct {
	d   domain.Destination
	env brokerEnv

	mu     sync.Mutex
	client *kgo.Client
	closed bool
}

func newKafkaSender(d domain.Destination, env brokerEnv) brokerSender {
	return &kafkaSender{d: d, env: env}
}

// Send produces m and waits until the brokers acknowledge it, or until
// ctx's deadline: the record may still be written after that, as an HTTP
// request that timed out may have been handled.
func (s *kafkaSender) Send(ctx context.Context, m Message) Reply {
	c, err := s.conn()
	if err != nil {
		return Reply{Err: err}
	}
	headers := make([]kgo.RecordHeader, 0, len(m.Header))
	for k, v := range m.Header {
		if len(v) > 0 {
			headers = append(headers, kgo.RecordHeader{Key: k, Value: []byte(v[0])})
		}
	}
	rec := &kgo.Record{Topic: s.d.Topic, Key: []byte(m.DeliveryID), Value: m.Body, Headers: headers}
	done := make(chan error, 1)
	c.Produce(ctx, rec, func(_ *kgo.Record, err error) { done <- err })
	select {
	case err = <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		return Reply{Err: fmt.Errorf("produce: %w", err)}
	}
	return Reply{StatusCode: http.StatusAccepted, Body: fmt.Appendf(nil, "acknowledged by Kafka: topic %s, partition %d, offset %d", rec.Topic, rec.Partition, rec.Offset)}
}

// conn returns the client, built on first use.
func (s *kafkaSender) conn() (*kgo.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("the connection was closed: the endpoint changed or hooks is stopping")
	}
	if s.client != nil {
		return s.client, nil
	}
	c, err := kgo.NewClient(
		kgo.SeedBrokers(s.d.Brokers...),
		kgo.ClientID("hooks"),
		kgo.RequiredAcks(kgo.AllISRAcks()), // and idempotent writes, the default with it
		kgo.Dialer(func(ctx context.Context, network, host string) (net.Conn, error) {
			return s.env.policy.DialContext(ctx, network, host)
		}),
		// A record that can't be written within the longest endpoint
		// timeout fails, rather than wait in the client's buffer.
		kgo.RecordDeliveryTimeout(domain.MaxTimeout),
		kgo.ProducerLinger(0),
	)
	if err != nil {
		return nil, fmt.Errorf("build the Kafka client: %w", err)
	}
	s.client = c
	return c, nil
}

// Close closes the client's connections; records in its buffer fail.
func (s *kafkaSender) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.client != nil {
		s.client.Close()
	}
	return nil
}
