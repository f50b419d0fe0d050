package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	amqp "github.com/rabbitmq/amqp091-go"
)

// With Config.Destination set, every endpoint publishes to a broker
// (Config.BrokerURL) instead of posting to the receiver, and a consumer in
// this process hands each message to the receiver, which measures it as
// it measures a request: latency from posting the event, duplicates,
// losses, one signature in VerifyEvery.

// brokerSink is that consumer, and what it asks the endpoints to publish to.
type brokerSink interface {
	destination(i int) map[string]any // endpoint i's API destination
	close()
}

// startBrokerSink sets up the broker side of a run: exchange and queues,
// or a JetStream stream, named after run, and consumers feeding rcv.
func startBrokerSink(ctx context.Context, cfg Config, run string, rcv *receiver) (brokerSink, error) {
	switch cfg.Destination {
	case "rabbitmq":
		return startRabbitSink(cfg.BrokerURL, run, rcv)
	case "nats":
		return startNATSSink(ctx, cfg.BrokerURL, run, rcv)
	}
	return nil, fmt.Errorf("--destination %q: want rabbitmq or nats", cfg.Destination)
}

// rabbitSink is a durable direct exchange with a durable queue per
// endpoint, as a customer would bind them, each consumed with auto-ack on
// its own channel. Everything is deleted at the end.
type rabbitSink struct {
	url, exchange string
	conn          *amqp.Connection
	queues        []string
	wg            sync.WaitGroup
}

func startRabbitSink(url, run string, rcv *receiver) (*rabbitSink, error) {
	conn, err := amqp.Dial(url)
	if err != nil {
		return nil, fmt.Errorf("connect to RabbitMQ: %w", err)
	}
	s := &rabbitSink{url: url, exchange: "hooks-bench-" + run, conn: conn}
	ch, err := conn.Channel()
	if err != nil {
		conn.Close()
		return nil, err
	}
	if err := ch.ExchangeDeclare(s.exchange, "direct", true, false, false, false, nil); err != nil {
		conn.Close()
		return nil, fmt.Errorf("declare exchange: %w", err)
	}
	for i := range rcv.behave {
		q := fmt.Sprintf("%s-%d", s.exchange, i)
		s.queues = append(s.queues, q)
		c, err := conn.Channel()
		if err == nil {
			_, err = c.QueueDeclare(q, true, false, false, false, nil)
		}
		if err == nil {
			err = c.QueueBind(q, "r."+strconv.Itoa(i), s.exchange, false, nil)
		}
		var msgs <-chan amqp.Delivery
		if err == nil {
			msgs, err = c.Consume(q, "", true, true, false, false, nil)
		}
		if err != nil {
			s.close()
			return nil, fmt.Errorf("queue %s: %w", q, err)
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for m := range msgs {
				h := make(http.Header, len(m.Headers))
				for k, v := range m.Headers {
					if v, ok := v.(string); ok {
						h[k] = []string{v}
					}
				}
				rcv.take(rcv.requests.Add(1), i, h, m.Body)
			}
		}()
	}
	return s, nil
}

func (s *rabbitSink) destination(i int) map[string]any {
	return map[string]any{"type": "rabbitmq", "url": s.url, "exchange": s.exchange, "routingKey": "r." + strconv.Itoa(i)}
}

func (s *rabbitSink) close() {
	if ch, err := s.conn.Channel(); err == nil {
		for _, q := range s.queues {
			ch.QueueDelete(q, false, false, false)
		}
		ch.ExchangeDelete(s.exchange, false, false)
	}
	s.conn.Close()
	s.wg.Wait()
}

// natsSink is a JetStream stream (file storage) capturing a subject per
// endpoint, read by one consumer without acks.
type natsSink struct {
	url, stream, prefix string
	nc                  *nats.Conn
	js                  jetstream.JetStream
	consume             jetstream.ConsumeContext
}

func startNATSSink(ctx context.Context, url, run string, rcv *receiver) (*natsSink, error) {
	nc, err := nats.Connect(url)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	s := &natsSink{url: url, stream: "HOOKS_BENCH_" + run, prefix: "hooks-bench." + run + ".", nc: nc, js: js}
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: s.stream, Subjects: []string{s.prefix + "*"}, Storage: jetstream.FileStorage})
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("create stream (is the server started with -js?): %w", err)
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{AckPolicy: jetstream.AckNonePolicy})
	if err == nil {
		s.consume, err = cons.Consume(func(m jetstream.Msg) {
			i, err := strconv.Atoi(strings.TrimPrefix(m.Subject(), s.prefix))
			if err != nil || i < 0 || i >= len(rcv.behave) {
				return
			}
			rcv.take(rcv.requests.Add(1), i, http.Header(m.Headers()), m.Data())
		})
	}
	if err != nil {
		s.close()
		return nil, fmt.Errorf("consume: %w", err)
	}
	return s, nil
}

func (s *natsSink) destination(i int) map[string]any {
	return map[string]any{"type": "nats", "url": s.url, "subject": s.prefix + strconv.Itoa(i)}
}

func (s *natsSink) close() {
	if s.consume != nil {
		s.consume.Stop()
	}
	s.js.DeleteStream(context.Background(), s.stream)
	s.nc.Close()
}

// checkBrokerConfig refuses what a broker run can't do.
func checkBrokerConfig(c *Config) error {
	if c.Destination == "" {
		return nil
	}
	switch {
	case c.Destination != "rabbitmq" && c.Destination != "nats":
		return fmt.Errorf("--destination %q: want rabbitmq or nats", c.Destination)
	case c.BrokerURL == "":
		return errors.New("--destination needs --broker-url, e.g. amqp://guest:guest@127.0.0.1:5672/ or nats://127.0.0.1:4222")
	case c.FailEndpoints > 0 || c.HangEndpoints > 0 || c.Backlog > 0:
		return errors.New("--destination runs healthy endpoints only: no --endpoints-fail, --endpoints-hang or --backlog")
	}
	return nil
}
