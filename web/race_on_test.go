//go:build race

package web

// statsVolume is how many attempts TestStatsAgreeWithTheAttemptsAtAMillion
// records under the race detector, which makes SQLite (pure Go here) and
// the recording path about ten times slower: the million runs without it
// (go test ./web/ -run AtAMillion).
const statsVolume = 20_000
