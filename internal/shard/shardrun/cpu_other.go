//go:build !unix

package shardrun

import "time"

// processCPU is not read on this platform (0: CPU utilisation unknown).
func processCPU() time.Duration { return 0 }
