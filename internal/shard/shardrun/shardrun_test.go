package shardrun

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A target whose clock is skew ahead of ours: the probe finds our clock
// behind by about skew, within its stated uncertainty.
func TestProbe(t *testing.T) {
	for _, tc := range []struct {
		name    string
		skew    time.Duration
		date    bool
		probes  int
		warn    string
		wantErr string
	}{
		{"in step", 0, true, 12, "", ""},
		{"target 5s ahead", 5 * time.Second, true, 12, "behind the target's", ""},
		{"target 3s behind", -3 * time.Second, true, 12, "ahead of the target's", ""},
		{"one probe", 4 * time.Second, true, 1, "behind", ""},
		{"no Date header", 0, false, 3, "", "no usable Date header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.date {
					w.Header().Set("Date", time.Now().Add(tc.skew).UTC().Format(http.TimeFormat))
				} else {
					w.Header()["Date"] = nil // net/http adds none
				}
			}))
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := Probe(ctx, srv.Client(), srv.URL, 100*time.Millisecond, tc.probes)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := -tc.skew.Seconds()
			// The machine is busy: allow the stated uncertainty plus slack
			// for a probe delayed by the scheduler.
			if d := c.OffsetS - want; d > c.UncertaintyS+0.3 || d < -c.UncertaintyS-0.3 {
				t.Errorf("offset %.3fs ± %.3f, want %.1fs", c.OffsetS, c.UncertaintyS, want)
			}
			if tc.probes > 1 && c.UncertaintyS > 0.4 {
				t.Errorf("uncertainty %.3fs after %d probes: the second boundary was not used", c.UncertaintyS, tc.probes)
			}
			if w := c.Warning(); (tc.warn == "") != (w == "") || !strings.Contains(w, tc.warn) {
				t.Errorf("warning %q, want %q", w, tc.warn)
			}
		})
	}
}

func TestWait(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		at   time.Duration
		want error
	}{
		{"passed", context.Background(), -time.Minute, ErrPassed},
		{"just passed, within slack", context.Background(), -100 * time.Millisecond, nil},
		{"soon", context.Background(), 50 * time.Millisecond, nil},
		{"cancelled", cancelled, time.Hour, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := time.Now().Add(tc.at)
			err := Wait(tc.ctx, at, time.Second)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Wait = %v, want %v", err, tc.want)
			}
			if tc.want == nil && time.Now().Before(at) {
				t.Errorf("returned before the instant")
			}
		})
	}
}
