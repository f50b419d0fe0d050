package cli

import (
	"fmt"
	"io"
)

// Build says which build of hooks is running; main sets it from the
// linker's -X flags.
type Build struct {
	Version, Commit, Date string
}

// printVersion is "hooks version".
func printVersion(stdout io.Writer, b Build) {
	fmt.Fprintf(stdout, "hooks %s (commit %s, built %s)\n", b.Version, b.Commit, b.Date)
}
