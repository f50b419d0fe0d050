//go:build race

package delivery_test

// raceEnabled reports whether the race detector is on, which makes CPU
// work several times slower than any wall-clock bound assumes.
const raceEnabled = true
