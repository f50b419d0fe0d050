//go:build !race

package web

// statsVolume is how many attempts TestStatsAgreeWithTheAttemptsAtAMillion
// records: a million.
const statsVolume = 1_000_000
