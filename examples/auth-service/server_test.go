package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const alice = `{"userId":"alice01","userName":"김철수","email":"a@example.test","userPw":"pw"}`

func do(t *testing.T, h http.Handler, method, path, body string) (int, map[string]string, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var m map[string]string
	_ = json.Unmarshal(rec.Body.Bytes(), &m)
	return rec.Code, m, rec.Body.String()
}

func TestRoutes(t *testing.T) {
	type step struct {
		method, path, body string
		status             int
		want               map[string]string // fields that must match
		contains           string            // in the raw body
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"health", []step{{method: "GET", path: "/health", status: 200, contains: "ok"}}},
		{"create then duplicate", []step{
			{method: "POST", path: "/auth/user", body: alice, status: 200, want: map[string]string{"status": "created"}},
			{method: "POST", path: "/auth/user", body: alice, status: 409},
		}},
		{"get needs a token", []step{
			{method: "POST", path: "/auth/user", body: alice, status: 200},
			{method: "GET", path: "/auth/user/alice01", status: 401, contains: "POST /auth/login"},
		}},
		{"login", []step{
			{method: "POST", path: "/auth/login", body: `{"userId":"alice01","userPw":"pw"}`, status: 401},
			{method: "POST", path: "/auth/user", body: alice, status: 200},
			{method: "POST", path: "/auth/login", body: `{"userId":"alice01","userPw":"pw"}`, status: 200, contains: `"token":"`},
			{method: "POST", path: "/auth/login", body: `{"userId":"alice01","userPw":"PW"}`, status: 401},
		}},
		{"bad JSON", []step{{method: "POST", path: "/auth/user", body: `{"userId":`, status: 400, contains: "bad JSON"}}},
		{"empty body", []step{{method: "POST", path: "/auth/user", body: "", status: 400}}},
		{"two values", []step{{method: "POST", path: "/auth/user", body: alice + alice, status: 400}}},
		{"wrong type", []step{{method: "POST", path: "/auth/user", body: `{"userId":5}`, status: 400}}},
		{"missing fields", []step{{method: "POST", path: "/auth/user", body: `{"userId":"x","email":" "}`, status: 400, contains: "missing fields: userName, email, userPw"}}},
		{"too large", []step{{method: "POST", path: "/auth/user", body: `{"userId":"` + strings.Repeat("x", maxBody) + `"}`, status: 400}}},
		{"wrong method", []step{{method: "DELETE", path: "/auth/user", status: 405}}},
		{"unknown path", []step{{method: "GET", path: "/nope", status: 404}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewServer(100).Handler()
			for i, st := range tt.steps {
				code, m, raw := do(t, h, st.method, st.path, st.body)
				if code != st.status {
					t.Fatalf("step %d: %s %s = %d, want %d (%s)", i, st.method, st.path, code, st.status, raw)
				}
				for k, v := range st.want {
					if m[k] != v {
						t.Errorf("step %d: %s = %q, want %q", i, k, m[k], v)
					}
				}
				if !strings.Contains(raw, st.contains) {
					t.Errorf("step %d: body %q lacks %q", i, raw, st.contains)
				}
			}
		})
	}
}

func TestEvictsOldest(t *testing.T) {
	s := NewServer(1) // one user per shard
	h := s.Handler()
	for i := range 1000 {
		body := fmt.Sprintf(`{"userId":"u%d","userName":"n","email":"e","userPw":"p"}`, i)
		if code, _, raw := do(t, h, "POST", "/auth/user", body); code != 200 {
			t.Fatalf("user %d: %d %s", i, code, raw)
		}
	}
	if n := s.Users(); n > shards {
		t.Fatalf("%d users held, want at most %d", n, shards)
	}
	// The last user is held; the first was evicted and can be created again.
	if code, _ := req(h, "GET", "/auth/user/u999", "", s.tok.issue("u999")); code != 200 {
		t.Fatalf("newest user: %d", code)
	}
	if code, _ := req(h, "GET", "/auth/user/u0", "", s.tok.issue("u0")); code != 404 {
		t.Fatalf("evicted user: %d, want 404", code)
	}
	if code, _, _ := do(t, h, "POST", "/auth/user", `{"userId":"u0","userName":"n","email":"e","userPw":"p"}`); code != 200 {
		t.Fatalf("re-creating an evicted user: %d", code)
	}
}

func TestCPUWork(t *testing.T) {
	tests := []struct {
		cpu, posts int
		want       int64
	}{
		{cpu: 0, posts: 3, want: 0},
		{cpu: 100, posts: 3, want: 300},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.cpu), func(t *testing.T) {
			s := NewServer(100)
			s.CPU = tt.cpu
			h := s.Handler()
			for i := range tt.posts {
				do(t, h, "POST", "/auth/user", fmt.Sprintf(`{"userId":"u%d","userName":"n","email":"e","userPw":"p"}`, i))
			}
			do(t, h, "GET", "/health", "") // never slowed
			if got := s.rounds.Load(); got != tt.want {
				t.Fatalf("rounds = %d, want %d", got, tt.want)
			}
		})
	}
	// Different rounds give different hashes: the work is really done.
	a, b := NewServer(1), NewServer(1)
	b.CPU = 1
	if a.work("id", "pw") == b.work("id", "pw") {
		t.Fatal("CPU rounds do not change the hash")
	}
}

func TestLatencyIsAFloor(t *testing.T) {
	s := NewServer(100)
	s.Latency = 20 * time.Millisecond
	h := s.Handler()
	start := time.Now()
	if code, _, _ := do(t, h, "POST", "/auth/user", alice); code != 200 {
		t.Fatalf("status %d", code)
	}
	if d := time.Since(start); d < s.Latency {
		t.Fatalf("request took %v, less than the %v latency", d, s.Latency)
	}
}

func TestConcurrentCreates(t *testing.T) {
	s := NewServer(10_000)
	h := s.Handler()
	var wg sync.WaitGroup
	codes := make(chan int, 400)
	for range 8 {
		wg.Go(func() {
			for i := range 50 {
				// Every worker creates the same 50 ids: exactly one 200 each.
				code, _, _ := do(t, h, "POST", "/auth/user", fmt.Sprintf(`{"userId":"id%d","userName":"n","email":"e","userPw":"p"}`, i))
				codes <- code
			}
		})
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[200] != 50 || count[409] != 350 {
		t.Fatalf("statuses %v, want 50×200 and 350×409", count)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		lat      time.Duration
		cpu, max int
		ok       bool
	}{
		{0, 0, 1, true},
		{-time.Millisecond, 0, 1, false},
		{0, -1, 1, false},
		{0, 0, 0, false},
	}
	for _, tt := range tests {
		if err := validate(tt.lat, tt.cpu, tt.max); (err == nil) != tt.ok {
			t.Errorf("validate(%v, %d, %d) = %v", tt.lat, tt.cpu, tt.max, err)
		}
	}
}
