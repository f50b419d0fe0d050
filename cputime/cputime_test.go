package cputime

import (
	"runtime"
	"testing"
)

func TestProcessCountsWork(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("CPU time is not read on " + runtime.GOOS)
	}
	before := Process()
	x := 0
	for i := 0; Process()-before == 0 && i < 1e9; i++ {
		x += i
	}
	if Process() <= before {
		t.Fatalf("CPU time did not grow: %v, then %v (%d)", before, Process(), x)
	}
}
