package main

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// BenchmarkCreateUser measures the handler alone (no network) at a few -cpu
// settings, to size the knob: each step should be a visible regression.
func BenchmarkCreateUser(b *testing.B) {
	for _, cpu := range []int{0, 1000, 10000} {
		b.Run(fmt.Sprintf("cpu=%d", cpu), func(b *testing.B) {
			s := NewServer(1 << 20)
			s.CPU = cpu
			h := s.Handler()
			var n atomic.Int64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := n.Add(1)
					body := fmt.Sprintf(`{"userId":"u%d","userName":"n","email":"e@x.test","userPw":"pw"}`, id)
					req := httptest.NewRequest("POST", "/auth/user", strings.NewReader(body))
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != 200 {
						b.Fatalf("status %d", rec.Code)
					}
				}
			})
		})
	}
}
