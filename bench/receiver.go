package bench

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hooks/domain"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Endpoint behaviours of the receiver.
const (
	behaveOK   = iota // answer 204 at once
	behaveFail        // answer 500 at once
	behaveHang        // answer nothing until the request is given up
)

// receiver is the in-process webhook receiver: one path per endpoint
// (/r/<index>), each with a behaviour. For healthy endpoints it records the
// latency from the event's send time (carried in the payload) to the first
// attempt, and marks every (event, endpoint) pair it saw, so duplicates and
// losses show up in the report.
type receiver struct {
	srv      *http.Server
	ln       net.Listener
	url      string
	behave   []int
	healthy  []int // endpoint index → index among healthy endpoints, -1 if not healthy
	nHealthy int
	keys     [][]byte // Standard Webhooks keys, by endpoint
	verify   uint64   // verify one signature in this many requests (0 = never)
	broker   bool     // the endpoints publish to a broker, whose consumer calls take

	down   atomic.Bool   // every endpoint hangs, as if the receiver were gone
	upCh   chan struct{} // closed when down ends
	upOnce sync.Once

	requests   atomic.Uint64
	received   atomic.Uint64 // first attempts at healthy endpoints
	duplicates atomic.Uint64
	failed     atomic.Uint64 // answers 500 given
	hung       atomic.Uint64 // requests left hanging
	badSigs    atomic.Uint64
	verified   atomic.Uint64
	latency    Histogram
	newest     atomic.Int64 // creation time (unix ms) of the newest delivery seen
	behind     Histogram    // how much older than the newest delivery seen each first attempt was

	seen bitset
}

func newReceiver(addr string, behave []int, verifyEvery int) (*receiver, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	r := &receiver{ln: ln, url: "http://" + ln.Addr().String(), behave: behave, keys: make([][]byte, len(behave)),
		verify: uint64(max(verifyEvery, 0)), upCh: make(chan struct{})}
	r.healthy = make([]int, len(behave))
	for i, b := range behave {
		r.healthy[i] = -1
		if b == behaveOK {
			r.healthy[i] = r.nHealthy
			r.nHealthy++
		}
	}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go r.srv.Serve(ln)
	return r, nil
}

// setSecret gives the receiver endpoint i's Standard Webhooks secret.
func (r *receiver) setSecret(i int, secret string) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	r.keys[i] = key
	return err
}

// setDown makes the receiver unresponsive (true) or brings it back (false, once).
func (r *receiver) setDown(down bool) {
	r.down.Store(down)
	if !down {
		r.upOnce.Do(func() { close(r.upCh) })
	}
}

func (r *receiver) close() { r.srv.Close() }

// isHealthy reports whether url is one of the receiver's healthy endpoints.
// Endpoints with a broker destination are all healthy.
func (r *receiver) isHealthy(url string) bool {
	if r.broker {
		return true
	}
	rest, ok := strings.CutPrefix(url, r.url+"/r/")
	if !ok {
		return false
	}
	i, err := strconv.Atoi(rest)
	return err == nil && i >= 0 && i < len(r.healthy) && r.healthy[i] >= 0
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	n := r.requests.Add(1)
	i, err := strconv.Atoi(strings.TrimPrefix(req.URL.Path, "/r/"))
	if err != nil || i < 0 || i >= len(r.behave) {
		http.NotFound(w, req)
		return
	}
	// Read the body first: the server notices a client that gave up (and
	// cancels the request's context) only once the body has been read.
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(req.Body, 16<<20)); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if r.down.Load() {
		r.hung.Add(1)
		select {
		case <-r.upCh:
		case <-req.Context().Done():
			return // the sender gave up: this attempt did not arrive
		}
	}
	switch r.behave[i] {
	case behaveFail:
		r.failed.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
		return
	case behaveHang:
		r.hung.Add(1)
		<-req.Context().Done()
		return
	}
	if !r.take(n, i, req.Header, buf.Bytes()) {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// take records the delivery of body to healthy endpoint i, the nth request
// or message the receiver got: its signature now and then, its latency,
// whether it is a duplicate. It reports false for a body that is not a
// bench payload.
func (r *receiver) take(n uint64, i int, h http.Header, body []byte) bool {
	now := time.Now()
	if r.verify > 0 && n%r.verify == 0 {
		if verifyStandard(r.keys[i], h, body) {
			r.verified.Add(1)
		} else {
			r.badSigs.Add(1)
		}
	}
	sent, seq, ok := parsePayload(body)
	if !ok {
		return false
	}
	if !r.seen.set(uint64(seq)*uint64(r.nHealthy) + uint64(r.healthy[i])) {
		r.duplicates.Add(1)
		return true
	}
	r.received.Add(1)
	r.latency.Record(now.Sub(time.Unix(0, sent)))
	// Order is judged by the delivery ids, ULIDs that hooks makes when it
	// stores the event: the bench's own sequence numbers are assigned
	// before concurrent requests race to the server.
	created := domain.IDTime(h.Get("Webhook-Id")).UnixMilli()
	for {
		m := r.newest.Load()
		if created <= m {
			r.behind.Record(time.Duration(m-created) * time.Millisecond)
			break
		}
		if r.newest.CompareAndSwap(m, created) {
			r.behind.Record(0)
			break
		}
	}
	return true
}

// verifyStandard checks a Standard Webhooks signature the way a receiver
// would: HMAC-SHA256 of "id.timestamp.body", base64, any of the v1 values.
func verifyStandard(key []byte, h http.Header, body []byte) bool {
	if key == nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(h.Get("Webhook-Id")))
	mac.Write([]byte{'.'})
	mac.Write([]byte(h.Get("Webhook-Timestamp")))
	mac.Write([]byte{'.'})
	mac.Write(body)
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(h.Get("Webhook-Signature")) {
		if v, ok := strings.CutPrefix(sig, "v1,"); ok && hmac.Equal([]byte(v), []byte(want)) {
			return true
		}
	}
	return false
}

// payloadPrefix starts every bench payload: {"t":<send time, unix ns>,"seq":<event number>,...
const payloadPrefix = `{"t":`

// makePayload returns an event's data of at least size bytes.
func makePayload(dst []byte, sent time.Time, seq int64, size int) []byte {
	dst = append(dst[:0], payloadPrefix...)
	dst = strconv.AppendInt(dst, sent.UnixNano(), 10)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendInt(dst, seq, 10)
	dst = append(dst, `,"pad":"`...)
	for len(dst) < size-2 {
		dst = append(dst, 'x')
	}
	return append(dst, `"}`...)
}

func parsePayload(b []byte) (sent, seq int64, ok bool) {
	rest, found := bytes.CutPrefix(b, []byte(payloadPrefix))
	if !found {
		return 0, 0, false
	}
	sent, rest, ok = parseInt(rest)
	if !ok {
		return 0, 0, false
	}
	if rest, found = bytes.CutPrefix(rest, []byte(`,"seq":`)); !found {
		return 0, 0, false
	}
	seq, _, ok = parseInt(rest)
	return sent, seq, ok
}

func parseInt(b []byte) (int64, []byte, bool) {
	var v int64
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		v = v*10 + int64(b[i]-'0')
		i++
	}
	return v, b[i:], i > 0
}

// bitset is a set of small integers that grows in fixed chunks as needed.
type bitset struct {
	mu     sync.RWMutex
	chunks [][]atomic.Uint64
}

const bitsetChunk = 1 << 16 // words per chunk: 4 Mbit

// set adds i and reports whether it was new.
func (b *bitset) set(i uint64) bool {
	word, bit := i/64, uint64(1)<<(i%64)
	c, w := int(word/bitsetChunk), word%bitsetChunk
	b.mu.RLock()
	if c >= len(b.chunks) || b.chunks[c] == nil {
		b.mu.RUnlock()
		b.mu.Lock()
		for len(b.chunks) <= c {
			b.chunks = append(b.chunks, nil)
		}
		if b.chunks[c] == nil {
			b.chunks[c] = make([]atomic.Uint64, bitsetChunk)
		}
		b.mu.Unlock()
		b.mu.RLock()
	}
	old := b.chunks[c][w].Or(bit)
	b.mu.RUnlock()
	return old&bit == 0
}
