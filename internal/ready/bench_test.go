package ready

import (
	"strings"
	"testing"
)

// BenchmarkLogBufferWrite is the cost a chatty service's output adds.
func BenchmarkLogBufferWrite(b *testing.B) {
	chunk := []byte(strings.Repeat("2026-11-27 INFO request handled in 1ms path=/auth/user\n", 64))
	buf := NewLogBuffer(1000, nil)
	buf.Watch("never printed")
	b.SetBytes(int64(len(chunk)))
	for b.Loop() {
		_, _ = buf.Write(chunk)
	}
}
