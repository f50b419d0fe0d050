package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"hooks/listen"
)

// Listen is "hooks listen": a local receiver that prints every delivery
// and checks its signature, until ctx is done.
func Listen(ctx context.Context, args []string, stdout, stderr io.Writer, color bool) error {
	var o listen.Options
	var host string
	var port int
	fs := newFlagSet("hooks listen", stderr)
	fs.StringVar(&host, "host", "127.0.0.1", "address to listen on")
	fs.IntVar(&port, "port", 9000, "port to listen on (0 picks a free one)")
	fs.StringVar(&o.Secret, "secret", "", "the endpoint's secret (all schemes but jwt)")
	fs.StringVar(&o.Scheme, "scheme", listen.SchemeStandard, "standard-webhooks, hmac-sha256, shared-secret or jwt")
	fs.StringVar(&o.Header, "header", "", "hmac-sha256/shared-secret: the header to check (default X-Hooks-Signature / X-Hooks-Secret)")
	fs.StringVar(&o.Encoding, "encoding", "hex", "hmac-sha256: hex or base64")
	fs.StringVar(&o.Prefix, "prefix", "", "hmac-sha256: text before the signature, e.g. sha256=")
	fs.StringVar(&o.JWKSURL, "jwks-url", "", "jwt: the JWK Set URL (default <issuer>/.well-known/jwks.json)")
	fs.StringVar(&o.Issuer, "issuer", "", "jwt: the expected issuer, <public-url>/<tenant>")
	fs.StringVar(&o.Audience, "audience", "", "jwt: the expected audience, the tenant id")
	if _, err := Parse(fs, args); err != nil {
		return err
	}
	rc, err := listen.New(o, stdout, color)
	if err != nil {
		return usageError(stderr, "hooks listen: %v", err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: rc, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	scheme := o.Scheme
	if scheme == "" {
		scheme = listen.SchemeStandard
	}
	fmt.Fprintf(stderr, "Ready! Listening on http://%s, checking %s signatures. Ctrl-C to stop.\n", ln.Addr(), scheme)
	fmt.Fprintf(stderr, "Point an endpoint at it; the server must allow loopback targets (hooks serve --dev).\n\n")
	select {
	case <-ctx.Done():
	case err := <-done:
		return err
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// RunListen is Listen until SIGINT or SIGTERM, with colours when stdout
// is a terminal.
func RunListen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Listen(ctx, args, stdout, stderr, isTerminal(stdout))
}
