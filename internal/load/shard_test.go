package load

import (
	"net/http"
	"strconv"
	"sync"
	"testing"

	loadshard "github.com/perfgate/perfgate/internal/shard"
)

// Four shards of one load send, together, exactly the unsharded load: every
// slot once, the configured mix, seq values 1..n each once.
func TestShardsMakeTheWholeLoad(t *testing.T) { forClients(t, testShardsMakeTheWholeLoad) }

func testShardsMakeTheWholeLoad(t *testing.T, client string) {
	for _, tc := range []struct {
		name  string
		opt   Options
		total int64
	}{
		{"open", Options{Model: Open, Rate: 2000, MaxInFlight: 8}, 202},
		{"closed", Options{Model: Closed, Workers: 2}, 202},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			seqs := map[int64]int{}
			paths := map[string]int{}
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				n, _ := strconv.ParseInt(r.Header.Get("X-Seq"), 10, 64)
				mu.Lock()
				seqs[n]++
				paths[r.URL.Path]++
				mu.Unlock()
			})
			scs := []Scenario{
				{Name: "a", URL: srv.URL + "/a", Weight: 3, Headers: map[string]string{"X-Seq": "{{ seq }}"}},
				{Name: "b", URL: srv.URL + "/b", Weight: 1, Headers: map[string]string{"X-Seq": "{{ seq }}"}},
			}
			var sum int64
			const n = 4
			for i := range n {
				opt := tc.opt
				opt.HTTPClient = client
				opt.Shard = loadshard.Spec{Index: i, Count: n}
				res := runPass(t, scs, opt, PassSpec{Requests: tc.total})
				if want := opt.Shard.Share(tc.total); res.Requests != want || res.Errors != 0 {
					t.Errorf("shard %d: %d requests, %d errors; want %d, 0", i, res.Requests, res.Errors, want)
				}
				sum += res.Requests
			}
			if sum != tc.total {
				t.Errorf("shards sent %d requests, want %d", sum, tc.total)
			}
			// The unsharded mix of 202 slots over a 3:1 wheel.
			whole := newEngine(t, scs, Options{Model: tc.opt.Model, Rate: tc.opt.Rate, Workers: 1})
			want := map[string]int{}
			for k := range tc.total {
				want["/"+whole.scs[whole.wheel[k%int64(len(whole.wheel))]].name]++
			}
			if paths["/a"] != want["/a"] || paths["/b"] != want["/b"] {
				t.Errorf("mix over the shards %v, want %v", paths, want)
			}
			for v := int64(1); v <= tc.total; v++ {
				if seqs[v] != 1 {
					t.Errorf("seq %d sent %d times, want once", v, seqs[v])
				}
			}
			if len(seqs) != int(tc.total) {
				t.Errorf("%d distinct seq values, want %d", len(seqs), tc.total)
			}
		})
	}
}
