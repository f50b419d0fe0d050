// Package cli holds the command-line side of hooks: flag, environment and
// config-file layering for every subcommand, "hooks config print", and the
// developer commands that talk to a running server (send, endpoints,
// deliveries) or receive its webhooks (listen). main.go only dispatches.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/BurntSushi/toml"
)

// ErrUsage reports a command line that can't be understood; the flag
// package has printed why. Commands exit with status 2 for it.
var ErrUsage = errors.New("usage")

// Sources says where each flag's effective value came from: "flag",
// "env HOOKS_X", "file hooks.toml" or "default".
type Sources map[string]string

// EnvName is the environment variable that sets a flag: HOOKS_ and the
// flag's name upper-cased with dashes as underscores (--public-url →
// HOOKS_PUBLIC_URL).
func EnvName(flagName string) string {
	return "HOOKS_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Parse parses args into fs and fills the flags not given on the command
// line from the environment (HOOKS_<NAME>), then, if fs has a "config"
// flag naming a file, from that TOML file, whose keys are the flag names:
// flags beat the environment, which beats the file, which beats defaults.
func Parse(fs *flag.FlagSet, args []string) (Sources, error) {
	src, _, err := ParseArgs(fs, args, 0)
	return src, err
}

// ParseArgs is Parse for commands that also take up to maxArgs positional
// arguments (an id), which may come before, between or after the flags.
func ParseArgs(fs *flag.FlagSet, args []string, maxArgs int) (Sources, []string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, nil, err
			}
			return nil, nil, ErrUsage
		}
		if fs.NArg() == 0 {
			break
		}
		if len(positional) == maxArgs {
			fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
			return nil, nil, ErrUsage
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	src, err := layer(fs)
	return src, positional, err
}

// layer fills the flags not set on the command line from the environment,
// then from the config file.
func layer(fs *flag.FlagSet) (Sources, error) {
	src := Sources{}
	fs.Visit(func(f *flag.Flag) { src[f.Name] = "flag" })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if src[f.Name] != "" {
			return
		}
		name := EnvName(f.Name)
		if v, ok := os.LookupEnv(name); ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
				return
			}
			src[f.Name] = "env " + name
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cf := fs.Lookup("config"); cf != nil && cf.Value.String() != "" {
		if err := applyFile(fs, cf.Value.String(), src); err != nil {
			return nil, err
		}
	}
	fs.VisitAll(func(f *flag.Flag) {
		if src[f.Name] == "" {
			src[f.Name] = "default"
		}
	})
	return src, nil
}

// applyFile sets the flags that neither the command line nor the
// environment set from the TOML file at path. An unknown key is an error,
// so a typo can't silently leave a setting at its default.
func applyFile(fs *flag.FlagSet, path string, src Sources) error {
	var values map[string]any
	if _, err := toml.DecodeFile(path, &values); err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		f := fs.Lookup(key)
		if f == nil || key == "config" {
			return fmt.Errorf("config file %s: unknown key %q; the keys are the flag names of %q (see its -h)", path, key, fs.Name())
		}
		if src[key] != "" {
			continue
		}
		s, err := tomlString(values[key])
		if err != nil {
			return fmt.Errorf("config file %s: %s: %w", path, key, err)
		}
		if err := f.Value.Set(s); err != nil {
			return fmt.Errorf("config file %s: %s = %q: %w", path, key, s, err)
		}
		src[key] = "file " + path
	}
	return nil
}

// tomlString turns a TOML value into the string a flag parses. Arrays
// become comma-separated lists, as in --allow-cidr.
func tomlString(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			s, err := tomlString(e)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return strings.Join(parts, ","), nil
	}
	return "", fmt.Errorf("a %T can't set a flag; use a string, number, boolean or list", v)
}

// Masked is what PrintConfig shows instead of a secret value.
const Masked = "********"

// secretFlag reports whether a flag's value is a credential to mask: its
// name says secret, password or token, or its last word is "key". (A
// "-key-file" is a path, which is fine to show.)
func secretFlag(name string) bool {
	for _, w := range []string{"secret", "password", "token", "passphrase"} {
		if strings.Contains(name, w) {
			return true
		}
	}
	return name == "key" || strings.HasSuffix(name, "-key")
}

// maskValue hides a flag's value if it is a credential, or the password
// part of a URL's userinfo.
func maskValue(name, value string) string {
	if value == "" {
		return value
	}
	if secretFlag(name) {
		return Masked
	}
	if u, err := url.Parse(value); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return strings.Replace(u.String(), "xxxxx", Masked, 1)
		}
	}
	return value
}

// PrintConfig writes the effective value of every flag in fs as a TOML
// document that works as a --config file, with each value's source as a
// comment and secrets masked.
func PrintConfig(w io.Writer, fs *flag.FlagSet, src Sources) error {
	fmt.Fprintf(w, "# effective configuration of %q: flags > HOOKS_* environment > config file > defaults\n", fs.Name())
	if cf := fs.Lookup("config"); cf != nil {
		fmt.Fprintf(w, "# config file: %s\n", orNone(cf.Value.String()))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "config" {
			return
		}
		value := maskValue(f.Name, f.Value.String())
		_, e := fmt.Fprintf(tw, "%s = %s\t# %s\n", f.Name, tomlLiteral(f, value), src[f.Name])
		if e != nil && err == nil {
			err = e
		}
	})
	if e := tw.Flush(); err == nil {
		err = e
	}
	return err
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// tomlLiteral writes value as TOML: booleans and numbers bare, everything
// else (durations included) as a string.
func tomlLiteral(f *flag.Flag, value string) string {
	switch fmt.Sprintf("%T", f.Value) {
	case "*flag.boolValue", "*flag.intValue", "*flag.int64Value", "*flag.uintValue", "*flag.uint64Value", "*flag.float64Value":
		if value != Masked {
			return value
		}
	}
	// TOML basic strings share JSON's escapes for the characters that
	// need one; strconv.Quote would write \x.. escapes TOML lacks.
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range value {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
