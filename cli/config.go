package cli

import (
	"fmt"
	"io"
)

// configPrint is "hooks config print": the configuration that "hooks
// serve" would run with, given the same flags, environment and --config
// file, as TOML with each value's source and secrets masked.
func configPrint(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "print" {
		fmt.Fprintln(stderr, "usage: hooks config print [--config FILE] [serve flags]")
		return ErrUsage
	}
	var c serveConfig
	fs := serveFlags(&c, stderr)
	src, err := Parse(fs, args[1:])
	if err != nil {
		return err
	}
	return PrintConfig(stdout, fs, src)
}
