package netguard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeResolver answers every name in its table, and counts the questions.
type fakeResolver struct {
	mu      sync.Mutex
	answers map[string][][]netip.Addr // successive answers; the last repeats
	calls   int
}

func (r *fakeResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	seq, ok := r.answers[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	a := seq[min(r.calls, len(seq)-1)]
	r.calls++
	return a, nil
}

func resolverFor(host string, answers ...[]netip.Addr) *fakeResolver {
	return &fakeResolver{answers: map[string][][]netip.Addr{host: answers}}
}

func addrs(t *testing.T, ss ...string) []netip.Addr {
	t.Helper()
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func mustPrefixes(t *testing.T, ss ...string) []netip.Prefix {
	t.Helper()
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

// recordDial stands in for the real dialer. It records every address and
// never touches the network, so a buggy guard cannot send real traffic
// anywhere from these tests.
type recordDial struct {
	mu    sync.Mutex
	addrs []string
}

func (d *recordDial) dial(ctx context.Context, network, address string) (net.Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.addrs = append(d.addrs, address)
	c1, c2 := net.Pipe()
	c2.Close()
	return c1, nil
}

func (d *recordDial) dialed() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.addrs...)
}

func TestSSRFRefusesRebindToLoopback(t *testing.T) {
	tests := []struct {
		name    string
		answers []string
	}{
		{"loopback", []string{"127.0.0.1"}},
		{"private", []string{"10.0.0.5"}},
		{"mapped private", []string{"::ffff:192.168.1.1"}},
		{"IPv6 loopback", []string{"::1"}},
		{"metadata", []string{"169.254.169.254"}},
		{"NAT64 of private", []string{"64:ff9b::a00:5"}},
		{"public then loopback", []string{"8.8.8.8", "127.0.0.1"}},
		{"loopback then public", []string{"127.0.0.1", "8.8.8.8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recordDial{}
			p := &Policy{Resolver: resolverFor("public.example.com", addrs(t, tt.answers...)), dial: rec.dial}
			c, err := p.DialContext(context.Background(), "tcp", "public.example.com:443")
			if c != nil {
				c.Close()
			}
			if !errors.Is(err, ErrForbiddenAddress) {
				t.Fatalf("DialContext = %v, want ErrForbiddenAddress", err)
			}
			if d := rec.dialed(); len(d) != 0 {
				t.Fatalf("dialed %v; want no connection attempt", d)
			}
		})
	}
}

func TestSSRFRefusesBeforeConnecting(t *testing.T) {
	// A real listener on loopback, reached through the real dialer: the guard
	// must refuse before connect, so the listener never sees a connection.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	p := &Policy{Resolver: resolverFor("public.example.com", addrs(t, "127.0.0.1"))}
	for _, addr := range []string{
		fmt.Sprintf("public.example.com:%d", port),
		fmt.Sprintf("127.0.0.1:%d", port),
		fmt.Sprintf("[::ffff:127.0.0.1]:%d", port),
		fmt.Sprintf("localhost:%d", port),
	} {
		_, err := p.DialContext(context.Background(), "tcp", addr)
		if !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("DialContext(%s) = %v, want ErrForbiddenAddress", addr, err)
		}
	}
	// Give a wrongly accepted connection time to show up.
	time.Sleep(50 * time.Millisecond)
	if n := accepted.Load(); n != 0 {
		t.Fatalf("listener accepted %d connections; want 0", n)
	}
}

func TestDialUsesCheckedAddress(t *testing.T) {
	// The first answer is public, any later one is loopback: a rebinding
	// attacker. The guard must ask once and dial exactly what it checked.
	res := resolverFor("public.example.com", addrs(t, "8.8.8.8"), addrs(t, "127.0.0.1"))
	rec := &recordDial{}
	p := &Policy{Resolver: res, dial: rec.dial}
	c, err := p.DialContext(context.Background(), "tcp", "public.example.com:443")
	if err != nil {
		t.Fatalf("DialContext: %v", err)
	}
	c.Close()
	if got := rec.dialed(); len(got) != 1 || got[0] != "8.8.8.8:443" {
		t.Fatalf("dialed %v, want [8.8.8.8:443]", got)
	}
	if res.calls != 1 {
		t.Fatalf("resolver asked %d times, want 1", res.calls)
	}
	// The next connection sees the rebound answer and is refused.
	if _, err := p.DialContext(context.Background(), "tcp", "public.example.com:443"); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("second DialContext = %v, want ErrForbiddenAddress", err)
	}
}

func TestDialNetworkFilter(t *testing.T) {
	tests := []struct {
		network string
		want    []string
		wantErr bool
	}{
		{"tcp", []string{"8.8.8.8:443"}, false}, // the first one connects
		{"tcp4", []string{"8.8.8.8:443"}, false},
		{"tcp6", []string{"[2001:4860:4860::8888]:443"}, false},
		{"udp", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.network, func(t *testing.T) {
			rec := &recordDial{}
			p := &Policy{
				Resolver: resolverFor("dns.example", addrs(t, "::ffff:8.8.8.8", "2001:4860:4860::8888")),
				dial:     rec.dial,
			}
			c, err := p.DialContext(context.Background(), tt.network, "dns.example:443")
			if tt.wantErr {
				if err == nil {
					c.Close()
					t.Fatal("DialContext succeeded, want error")
				}
				return
			}
			if err != nil {
				t.Fatalf("DialContext: %v", err)
			}
			c.Close()
			if got := rec.dialed(); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("dialed %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDialTriesNextAddress(t *testing.T) {
	var tried []string
	p := &Policy{
		Resolver: resolverFor("multi.example", addrs(t, "8.8.8.8", "8.8.4.4")),
		dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			tried = append(tried, address)
			if address == "8.8.8.8:443" {
				return nil, errors.New("connection refused")
			}
			c1, c2 := net.Pipe()
			c2.Close()
			return c1, nil
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := p.DialContext(ctx, "tcp", "multi.example:443")
	if err != nil {
		t.Fatalf("DialContext: %v", err)
	}
	c.Close()
	if fmt.Sprint(tried) != "[8.8.8.8:443 8.8.4.4:443]" {
		t.Fatalf("tried %v", tried)
	}
}

func TestDialErrors(t *testing.T) {
	tests := []struct {
		name, addr string
		want       error // nil: any error
	}{
		{"no port", "public.example.com", nil},
		{"bad port", "public.example.com:https", nil},
		{"port zero", "public.example.com:0", nil},
		{"empty host", ":443", ErrForbiddenAddress},
		{"unknown host", "nx.example:443", nil},
		{"metadata name", "metadata.google.internal:80", ErrForbiddenAddress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recordDial{}
			p := &Policy{Resolver: resolverFor("public.example.com", addrs(t, "8.8.8.8")), dial: rec.dial}
			c, err := p.DialContext(context.Background(), "tcp", tt.addr)
			if err == nil {
				c.Close()
				t.Fatal("DialContext succeeded, want error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("DialContext = %v, want %v", err, tt.want)
			}
			if d := rec.dialed(); len(d) != 0 {
				t.Fatalf("dialed %v; want no connection attempt", d)
			}
		})
	}
	var dnsErr *net.DNSError
	p := &Policy{Resolver: resolverFor("public.example.com", addrs(t, "8.8.8.8"))}
	if _, err := p.DialContext(context.Background(), "tcp", "nx.example:443"); !errors.As(err, &dnsErr) {
		t.Fatalf("unknown host: %v, want a *net.DNSError", err)
	}
}

func TestControlRechecksAddress(t *testing.T) {
	tests := []struct {
		address string
		strict  bool
	}{
		{"8.8.8.8:443", true},
		{"[2001:4860:4860::8888]:443", true},
		{"10.0.0.1:443", false},
		{"127.0.0.1:80", false},
		{"[::1]:80", false},
		{"[::ffff:10.0.0.1]:443", false},
		{"[fe80::1%eth0]:443", false},
		{"not-an-address", false},
	}
	for _, tt := range tests {
		t.Run(tt.address, func(t *testing.T) {
			err := (&Policy{}).control("tcp", tt.address, nil)
			if tt.strict && err != nil {
				t.Fatalf("control(%s) = %v, want nil", tt.address, err)
			}
			if !tt.strict && !errors.Is(err, ErrForbiddenAddress) {
				t.Fatalf("control(%s) = %v, want ErrForbiddenAddress", tt.address, err)
			}
		})
	}
}

// hostURL rewrites a test server's URL to use host instead of 127.0.0.1, so
// the request goes through the Policy's resolver.
func hostURL(t *testing.T, srv *httptest.Server, host, path string) string {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = net.JoinHostPort(host, u.Port())
	u.Path = path
	return u.String()
}

func TestClientReachesLoopbackWhenAllowed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer srv.Close()

	tests := []struct {
		name    string
		p       Policy
		wantErr error
	}{
		{"strict", Policy{AllowHTTP: true}, ErrForbiddenAddress},
		{"AllowPrivate", Policy{AllowHTTP: true, AllowPrivate: true}, nil},
		{"Allow 127.0.0.0/8", Policy{AllowHTTP: true, Allow: mustPrefixes(t, "127.0.0.0/8")}, nil},
		{"Allow other prefix", Policy{AllowHTTP: true, Allow: mustPrefixes(t, "10.0.0.0/8")}, ErrForbiddenAddress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			p.Resolver = resolverFor("public.example.com", addrs(t, "127.0.0.1"))
			client := NewClient(&p, 5*time.Second)
			defer client.CloseIdleConnections()
			target := hostURL(t, srv, "public.example.com", "/hook")
			if _, err := p.CheckURL(target); err != nil {
				t.Fatalf("CheckURL(%s): %v", target, err)
			}
			resp, err := client.Post(target, "application/json", nil)
			if tt.wantErr != nil {
				if err == nil {
					resp.Body.Close()
				}
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Post = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Post: %v", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || string(body) != "ok" {
				t.Fatalf("got %d %q, want 200 ok", resp.StatusCode, body)
			}
		})
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	var followed atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/hook/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.PathValue("code"))
		http.Redirect(w, r, "/elsewhere", code)
	})
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) {
		followed.Add(1)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := NewClient(&Policy{AllowHTTP: true, AllowPrivate: true}, 5*time.Second)
	defer client.CloseIdleConnections()

	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			resp, err := client.Post(fmt.Sprintf("%s/hook/%d", srv.URL, code), "application/json", strings.NewReader("{}"))
			if err != nil {
				t.Fatalf("Post: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != code {
				t.Fatalf("status %d, want %d", resp.StatusCode, code)
			}
			if loc := resp.Header.Get("Location"); loc != "/elsewhere" {
				t.Fatalf("Location %q, want /elsewhere", loc)
			}
		})
	}
	if n := followed.Load(); n != 0 {
		t.Fatalf("redirect target hit %d times; want 0", n)
	}
}

func TestTransportSettings(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	tests := []struct {
		name string
		p    Policy
		want int
	}{
		{"default", Policy{}, DefaultMaxIdleConnsPerHost},
		{"configured", Policy{MaxIdleConnsPerHost: 8}, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := tt.p.Transport()
			if tr.Proxy != nil {
				t.Error("Proxy is set; environment proxies would bypass the guard")
			}
			if tr.DialContext == nil {
				t.Error("DialContext is nil")
			}
			if tr.MaxIdleConnsPerHost != tt.want {
				t.Errorf("MaxIdleConnsPerHost = %d, want %d", tr.MaxIdleConnsPerHost, tt.want)
			}
			if tr.TLSHandshakeTimeout <= 0 {
				t.Error("no TLS handshake timeout")
			}
		})
	}
}

func TestTransportCopiesPolicy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	p := &Policy{AllowHTTP: true, Allow: mustPrefixes(t, "127.0.0.0/8")}
	client := &http.Client{Transport: p.Transport()}
	defer client.CloseIdleConnections()
	// Changing the Policy afterwards must not change what the transport allows.
	p.Allow[0] = netip.MustParsePrefix("10.0.0.0/8")
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	resp.Body.Close()
}
