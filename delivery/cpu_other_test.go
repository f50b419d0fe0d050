//go:build !unix

package delivery_test

import "time"

// processCPU is unknown here.
func processCPU() time.Duration { return 0 }
