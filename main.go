// Command hooks is a self-hosted webhook delivery server: it stores the
// endpoints your customers register, fans your events out to them, signs,
// delivers, retries and logs every request. Its commands live in package
// cli; main only hands them the process.
package main

import (
	"context"
	"os"

	"hooks/cli"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=... -X main.date=...".
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

func main() {
	os.Exit(cli.Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr,
		cli.Build{Version: version, Commit: commit, Date: date}))
}
