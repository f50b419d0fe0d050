package cli

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type testConfig struct {
	addr, db, publicURL, secret, keyFile, cidrs string
	dev                                         bool
	workers                                     int
	drain                                       time.Duration
	config                                      string
}

func testFlags(c *testConfig) *flag.FlagSet {
	fs := flag.NewFlagSet("hooks serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.addr, "addr", ":8080", "")
	fs.StringVar(&c.db, "db", "hooks.db", "")
	fs.StringVar(&c.publicURL, "public-url", "", "")
	fs.StringVar(&c.secret, "session-secret", "", "")
	fs.StringVar(&c.keyFile, "master-key-file", "", "")
	fs.StringVar(&c.cidrs, "allow-cidr", "", "")
	fs.BoolVar(&c.dev, "dev", false, "")
	fs.IntVar(&c.workers, "workers", 128, "")
	fs.DurationVar(&c.drain, "drain", 15*time.Second, "")
	fs.StringVar(&c.config, "config", "", "")
	return fs
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFlagsBeatEnvBeatConfigFileBeatDefaults(t *testing.T) {
	file := writeFile(t, "hooks.toml", `
addr = ":9000"
db = "/from/file.db"
workers = 64
dev = true
drain = "30s"
allow-cidr = ["10.0.0.0/8", "192.168.1.0/24"]
public-url = "https://hooks.example.com"
`)
	t.Setenv("HOOKS_DB", "/from/env.db")
	t.Setenv("HOOKS_WORKERS", "32")
	t.Setenv("HOOKS_CONFIG", file)
	var c testConfig
	src, err := Parse(testFlags(&c), []string{"--workers", "16"})
	if err != nil {
		t.Fatal(err)
	}
	want := testConfig{addr: ":9000", db: "/from/env.db", workers: 16, dev: true, drain: 30 * time.Second,
		cidrs: "10.0.0.0/8,192.168.1.0/24", publicURL: "https://hooks.example.com", config: file}
	if c != want {
		t.Errorf("config = %+v\nwant     %+v", c, want)
	}
	for name, s := range map[string]string{"workers": "flag", "db": "env HOOKS_DB", "addr": "file " + file,
		"config": "env HOOKS_CONFIG", "master-key-file": "default"} {
		if src[name] != s {
			t.Errorf("source of %s = %q, want %q", name, src[name], s)
		}
	}
}

func TestConfigFileRejectsUnknownKeysAndBadValues(t *testing.T) {
	for name, text := range map[string]string{
		"typo":      `adr = ":9000"`,
		"bad value": `workers = "many"`,
		"bad toml":  `addr = `,
		"table":     "[server]\naddr = \":1\"",
	} {
		t.Run(name, func(t *testing.T) {
			var c testConfig
			_, err := Parse(testFlags(&c), []string{"--config", writeFile(t, "hooks.toml", text)})
			if err == nil || errors.Is(err, ErrUsage) {
				t.Fatalf("err = %v, want a config file error", err)
			}
		})
	}
	var c testConfig
	if _, err := Parse(testFlags(&c), []string{"--nope"}); !errors.Is(err, ErrUsage) {
		t.Errorf("unknown flag: err = %v, want ErrUsage", err)
	}
	t.Setenv("HOOKS_WORKERS", "lots")
	if _, err := Parse(testFlags(&c), nil); err == nil || !strings.Contains(err.Error(), "HOOKS_WORKERS") {
		t.Errorf("bad env value: err = %v, want one naming HOOKS_WORKERS", err)
	}
}

func TestPrintConfigMasksSecretsAndIsAValidConfigFile(t *testing.T) {
	var c testConfig
	fs := testFlags(&c)
	src, err := Parse(fs, []string{"--session-secret", "s3cret-value", "--public-url", "https://admin:hunter2@hooks.example.com",
		"--master-key-file", "/etc/hooks/hooks.key", "--addr", "127.0.0.1:8080"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := PrintConfig(&out, fs, src); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, secret := range []string{"s3cret-value", "hunter2"} {
		if strings.Contains(text, secret) {
			t.Errorf("config print shows %q:\n%s", secret, text)
		}
	}
	for _, want := range []string{`session-secret = "********"`, `/etc/hooks/hooks.key`, `workers = 128`, `dev = false`,
		`drain = "15s"`, "# flag", "# default", "admin:********@hooks.example.com"} {
		if !strings.Contains(text, want) {
			t.Errorf("config print lacks %q:\n%s", want, text)
		}
	}
	// The output (secrets aside) parses back as a config file.
	var c2 testConfig
	if _, err := Parse(testFlags(&c2), []string{"--config", writeFile(t, "printed.toml", text)}); err != nil {
		t.Fatalf("printed config does not load: %v\n%s", err, text)
	}
	if c2.addr != "127.0.0.1:8080" || c2.workers != 128 || c2.keyFile != "/etc/hooks/hooks.key" {
		t.Errorf("reloaded = %+v", c2)
	}
}
