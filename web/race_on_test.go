//go:build race

package web

// statsVolume is how many attempts TestStatsAgreeWithTheAttemptsAtAMillion
// records under the race detector, which makes SQLite (pure Go here)
// several times slower: the million runs without it.
const statsVolume = 200_000
