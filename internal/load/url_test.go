package load

import (
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestTemplatedURL(t *testing.T) { forClients(t, testTemplatedURL) }

// Every request renders its own path and query: 300 requests with
// {{ seq }} in the path reach the server as 300 distinct paths, and the
// constant parts and escaping arrive as written.
func testTemplatedURL(t *testing.T, client string) {
	var mu sync.Mutex
	paths := map[string]int{}
	var bad []string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		paths[r.URL.Path]++
		if !strings.HasPrefix(r.URL.Path, "/users/") || r.URL.Query().Get("name") != "a b" || r.URL.Query().Get("k") == "" {
			bad = append(bad, r.URL.String())
		}
	})
	const n = 300
	res := runPass(t, []Scenario{
		{Name: "u", URL: srv.URL + `/users/{{ seq }}?k={{ alnum 6 }}&name={{ pick "a b" }}`},
	}, Options{HTTPClient: client, Workers: 4}, PassSpec{Requests: n})
	if res.Requests != n || res.Errors != 0 {
		t.Fatalf("requests %d, errors %d (%v); want %d, 0", res.Requests, res.Errors, res.Scenarios[0].Metrics.Errors(), n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(paths) != n {
		t.Errorf("%d distinct paths over %d requests; want %d", len(paths), n, n)
	}
	if len(bad) > 0 {
		t.Errorf("%d requests with an unexpected URL, e.g. %q", len(bad), bad[0])
	}
}

func TestTemplatedURLErrors(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"host template", "http://{{ alnum 3 }}/x", "a template in the host"},
		{"no scheme", "{{ seq }}/x", "scheme and host must be written out"},
		{"unknown func", "http://127.0.0.1:1/{{ sequence }}", `function "sequence" is not defined`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New([]Scenario{{Name: "s", URL: tt.url}}, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v; want it to contain %q", err, tt.want)
			}
		})
	}
}
