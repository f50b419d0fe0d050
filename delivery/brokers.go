package delivery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"hooks/delivery/netguard"
	"hooks/domain"
)

// A brokerSender is a Sender that holds a connection to a broker, opened
// on its first Send and reopened after the broker went away; Close closes
// it for good.
type brokerSender interface {
	Sender
	io.Closer
}

// brokerEnv is what a broker sender is built with: the engine's network
// policy, which its dialer must apply to every address it connects to
// (the private-address rule), and its limits and logger.
type brokerEnv struct {
	policy   *netguard.Policy
	maxBytes int
	log      *slog.Logger
}

// newBrokerSender builds the sender of a destination type. Senders
// register themselves here, one file each (rabbitmq.go, kafka.go…). A
// constructor must not connect: it runs under the pool's lock.
var newBrokerSender = map[string]func(d domain.Destination, env brokerEnv) brokerSender{}

// redialAfter is how long a broker sender repeats a failed connect's error
// before it tries again.
const redialAfter = time.Second

// brokerIdle is how long a pooled broker sender lives unused. The pool
// hears of deletes and changes made through this process; an endpoint
// deleted through another process sharing the database is forgotten here
// once idle for this long.
const brokerIdle = 10 * time.Minute

// brokerPool keeps one sender, and so one connection, per broker
// destination, keyed by endpoint id and the version of its configuration,
// so that every delivery to a destination reuses its connection and a
// changed destination gets a new one.
type brokerPool struct {
	env brokerEnv
	now func() time.Time

	mu      sync.Mutex
	senders map[string]*pooledSender // by endpoint id
	closed  bool
}

type pooledSender struct {
	brokerSender
	version   string    // the endpoint's updatedAt and destination
	updatedAt time.Time // the endpoint's, when the sender was built
	lastUsed  time.Time
}

func newBrokerPool(env brokerEnv, now func() time.Time) *brokerPool {
	return &brokerPool{env: env, now: now, senders: map[string]*pooledSender{}}
}

// version identifies the configuration a pooled sender was built for.
func version(w *domain.Endpoint) string {
	return fmt.Sprintf("%d %v", w.UpdatedAt.UnixNano(), w.Destination)
}

// sender returns the sender that prepare gives w: it finds w's pooled
// sender on each Send, so that an attempt never uses one that the pool
// closed meanwhile (idle, or its endpoint changed).
func (bp *brokerPool) sender(w *domain.Endpoint) Sender {
	if _, ok := newBrokerSender[w.Destination.Type]; !ok {
		return unsupportedSender{typ: w.Destination.Type}
	}
	return &pooledRef{pool: bp, w: w, version: version(w)}
}

// pooledRef is the Sender of one version of a broker endpoint.
type pooledRef struct {
	pool    *brokerPool
	w       *domain.Endpoint
	version string
}

func (r *pooledRef) Send(ctx context.Context, m Message) Reply {
	return r.pool.get(r.w, r.version).Send(ctx, m)
}

// get returns the pooled sender of version v of w's destination,
// replacing one built for another version.
func (bp *brokerPool) get(w *domain.Endpoint, v string) Sender {
	newSender := newBrokerSender[w.Destination.Type]
	bp.mu.Lock()
	defer bp.mu.Unlock()
	if ps := bp.senders[w.ID]; ps != nil {
		// An attempt of a delivery claimed before its endpoint changed
		// goes where the endpoint now says, rather than reopen the old
		// connection and close the new one.
		if ps.version == v || ps.updatedAt.After(w.UpdatedAt) {
			ps.lastUsed = bp.now()
			return ps
		}
		go ps.Close() // attempts in flight on it fail as if the broker went away
		delete(bp.senders, w.ID)
	}
	if bp.closed {
		return closedSender{}
	}
	ps := &pooledSender{brokerSender: newSender(w.Destination.Clone(), bp.env), version: v, updatedAt: w.UpdatedAt, lastUsed: bp.now()}
	bp.senders[w.ID] = ps
	return ps
}

// forget closes the sender of endpoint id, which was deleted or changed.
func (bp *brokerPool) forget(id string) {
	bp.mu.Lock()
	ps := bp.senders[id]
	delete(bp.senders, id)
	bp.mu.Unlock()
	if ps != nil {
		ps.Close()
	}
}

// closeIdle closes the senders unused since brokerIdle ago.
func (bp *brokerPool) closeIdle() {
	cutoff := bp.now().Add(-brokerIdle)
	var idle []*pooledSender
	bp.mu.Lock()
	for id, ps := range bp.senders {
		if ps.lastUsed.Before(cutoff) {
			idle = append(idle, ps)
			delete(bp.senders, id)
		}
	}
	bp.mu.Unlock()
	for _, ps := range idle {
		ps.Close()
	}
}

// closeAll closes every sender, at shutdown; later requests get none.
func (bp *brokerPool) closeAll() {
	bp.mu.Lock()
	all := bp.senders
	bp.senders, bp.closed = map[string]*pooledSender{}, true
	bp.mu.Unlock()
	var wg sync.WaitGroup
	for _, ps := range all {
		wg.Add(1)
		go func() { defer wg.Done(); ps.Close() }()
	}
	wg.Wait()
}

// sweepBrokers closes idle broker senders until ctx is done.
func (e *Engine) sweepBrokers(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			e.brokers.closeIdle()
		}
	}
}

// ForgetEndpoint closes the broker connection of endpoint id, if it has
// one: the service calls it when the endpoint is deleted or changed.
func (e *Engine) ForgetEndpoint(id string) { e.brokers.forget(id) }

// closedSender stands for every broker sender once the pool has closed.
type closedSender struct{}

func (closedSender) Send(context.Context, Message) Reply {
	return Reply{Err: errors.New("the broker connection is closed: hooks is stopping")}
}
