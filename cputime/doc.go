// Package cputime reads the CPU time the process has used, for the load
// generator (bench) and the engine's benchmarks to report CPU per delivery.
// It imports nothing of ours, so both can use it.
package cputime
