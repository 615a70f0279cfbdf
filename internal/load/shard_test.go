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
			var sum, sent int64
			slots := map[string]int{}
			const n = 4
			for i := range n {
				opt := tc.opt
				opt.HTTPClient = client
				opt.Shard = loadshard.Spec{Index: i, Count: n}
				res := runPass(t, scs, opt, PassSpec{Requests: tc.total})
				// An open-model slot the client (starved on a busy
				// machine) could not send by the window's end is dropped:
				// it still counts as one of the shard's slots.
				if want := opt.Shard.Share(tc.total); res.Requests+res.Dropped != want || res.Errors != res.Dropped {
					t.Errorf("shard %d: %d requests, %d dropped, %d errors; want %d slots, errors only dropped", i, res.Requests, res.Dropped, res.Errors, want)
				}
				for j, sc := range res.Scenarios {
					slots["/"+scs[j].Name] += int(sc.Metrics.Requests() + sc.Metrics.Errors().Dropped)
				}
				sum += res.Requests + res.Dropped
				sent += res.Requests
			}
			if sum != tc.total {
				t.Errorf("shards had %d slots, want %d", sum, tc.total)
			}
			// The unsharded mix of 202 slots over a 3:1 wheel.
			whole := newEngine(t, scs, Options{Model: tc.opt.Model, Rate: tc.opt.Rate, Workers: 1})
			want := map[string]int{}
			for k := range tc.total {
				want["/"+whole.scs[whole.wheel[k%int64(len(whole.wheel))]].name]++
			}
			if slots["/a"] != want["/a"] || slots["/b"] != want["/b"] {
				t.Errorf("mix over the shards %v, want %v", slots, want)
			}
			if paths["/a"]+paths["/b"] != int(sent) {
				t.Errorf("the server saw %v, the shards sent %d", paths, sent)
			}
			for v, c := range seqs {
				if c != 1 || v < 1 || v > tc.total {
					t.Errorf("seq %d sent %d times, want once and within 1..%d", v, c, tc.total)
				}
			}
			if len(seqs) != int(sent) {
				t.Errorf("%d distinct seq values, want %d", len(seqs), sent)
			}
		})
	}
}
