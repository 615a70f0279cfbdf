//go:build unix

package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// stores are the two backends, each made fresh per test.
var stores = []struct {
	name string
	open func(t *testing.T) Store
}{
	{"memory", func(t *testing.T) Store { return newMemStore(1000) }},
	{"postgres", func(t *testing.T) Store {
		dsn := sharedPG(t).freshDB(t)
		s, err := openPG(context.Background(), dsn, 4, 10*time.Second, t.Logf)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return s
	}},
}

func TestStoreContract(t *testing.T) {
	for _, sk := range stores {
		t.Run(sk.name, func(t *testing.T) {
			s := sk.open(t)
			ctx := context.Background()
			rec := Record{UserName: "김민준", Email: "m@example.test", PwHash: hashPassword("minjun", "pw")}
			steps := []struct {
				op    string
				id    string
				want  bool
				count int
			}{
				{"get", "minjun", false, 0},
				{"add", "minjun", true, 1},
				{"add", "minjun", false, 1}, // duplicate
				{"get", "minjun", true, 1},
				{"get", "MINJUN", false, 1}, // ids are case-sensitive
				{"add", "o'brien; DROP TABLE users", true, 2},
				{"get", "o'brien; DROP TABLE users", true, 2},
			}
			for i, st := range steps {
				var got bool
				var err error
				switch st.op {
				case "add":
					got, err = s.Add(ctx, st.id, rec)
				case "get":
					var r Record
					r, got, err = s.Get(ctx, st.id)
					if got && r != rec {
						t.Errorf("step %d: Get(%q) = %+v, want %+v", i, st.id, r, rec)
					}
				}
				if err != nil || got != st.want {
					t.Fatalf("step %d: %s(%q) = %v, %v; want %v", i, st.op, st.id, got, err, st.want)
				}
				if n, err := s.Count(ctx); err != nil || n != st.count {
					t.Fatalf("step %d: Count = %d, %v; want %d", i, n, err, st.count)
				}
			}
			if err := s.Ping(ctx); err != nil {
				t.Fatalf("Ping: %v", err)
			}
		})
	}
}

// TestStoreConcurrentAdds: workers racing on the same ids: exactly one
// wins each, and the store holds each id once.
func TestStoreConcurrentAdds(t *testing.T) {
	for _, sk := range stores {
		t.Run(sk.name, func(t *testing.T) {
			s := sk.open(t)
			var wg sync.WaitGroup
			var mu sync.Mutex
			wins := map[string]int{}
			for range 6 {
				wg.Go(func() {
					for i := range 30 {
						id := fmt.Sprintf("id%d", i)
						ok, err := s.Add(context.Background(), id, Record{UserName: "n", Email: "e"})
						if err != nil {
							t.Error(err)
							return
						}
						if ok {
							mu.Lock()
							wins[id]++
							mu.Unlock()
						}
					}
				})
			}
			wg.Wait()
			for i := range 30 {
				if w := wins[fmt.Sprintf("id%d", i)]; w != 1 {
					t.Errorf("id%d added %d times, want 1", i, w)
				}
			}
			if n, _ := s.Count(context.Background()); n != 30 {
				t.Errorf("Count = %d, want 30", n)
			}
		})
	}
}

// req sends one request to h with an optional bearer token and returns
// the status and body.
func req(h http.Handler, method, path, body, token string) (int, string) {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

func loginToken(t *testing.T, h http.Handler, id, pw string) string {
	t.Helper()
	code, body := req(h, "POST", "/auth/login", fmt.Sprintf(`{"userId":%q,"userPw":%q}`, id, pw), "")
	if code != 200 {
		t.Fatalf("login %s: %d %s", id, code, body)
	}
	_, tok, ok := strings.Cut(body, `"token":"`)
	tok, _, _ = strings.Cut(tok, `"`)
	if !ok || tok == "" {
		t.Fatalf("login %s: no token in %s", id, body)
	}
	return tok
}

// TestAuthFlow: signup, login and the token check, on both stores.
func TestAuthFlow(t *testing.T) {
	for _, sk := range stores {
		t.Run(sk.name, func(t *testing.T) {
			s := NewServerWith(sk.open(t), []byte("k1"), time.Hour)
			h := s.Handler()
			signup := func(id, pw string) string {
				return fmt.Sprintf(`{"userId":%q,"userName":"n","email":"e@x.test","userPw":%q}`, id, pw)
			}
			for _, id := range []string{"ann", "ben"} {
				if code, body := req(h, "POST", "/auth/user", signup(id, id+"-pw"), ""); code != 200 {
					t.Fatalf("signup %s: %d %s", id, code, body)
				}
			}
			ann := loginToken(t, h, "ann", "ann-pw")
			ben := loginToken(t, h, "ben", "ben-pw")
			// Tampering: another user's id with ann's signature.
			benPayload := ben[:strings.LastIndexByte(ben, '.')]
			forged := benPayload + ann[strings.LastIndexByte(ann, '.'):]
			tests := []struct {
				name, method, path, body, token string
				status                          int
				contains                        string
			}{
				{"login wrong password", "POST", "/auth/login", `{"userId":"ann","userPw":"nope"}`, "", 401, "wrong userId or password"},
				{"login unknown user", "POST", "/auth/login", `{"userId":"zed","userPw":"x"}`, "", 401, "wrong userId or password"},
				{"login missing password", "POST", "/auth/login", `{"userId":"ann"}`, "", 400, "missing fields: userPw"},
				{"login bad JSON", "POST", "/auth/login", `{`, "", 400, "bad JSON"},
				{"get without token", "GET", "/auth/user/ann", "", "", 401, "Bearer"},
				{"get with garbage token", "GET", "/auth/user/ann", "", "garbage", 401, "malformed"},
				{"get with forged token", "GET", "/auth/user/ben", "", forged, 401, "signature"},
				{"get with another user's token", "GET", "/auth/user/ben", "", ann, 403, "another user"},
				{"get own user", "GET", "/auth/user/ann", "", ann, 200, `"userId":"ann"`},
				{"get own user (ben)", "GET", "/auth/user/ben", "", ben, 200, `"email":"e@x.test"`},
				{"password never returned", "GET", "/auth/user/ann", "", ann, 200, `"userName":"n"}`},
				{"duplicate signup", "POST", "/auth/user", signup("ann", "other"), "", 409, "duplicate"},
				{"old password still works", "POST", "/auth/login", `{"userId":"ann","userPw":"ann-pw"}`, "", 200, "token"},
			}
			for _, tt := range tests {
				code, body := req(h, tt.method, tt.path, tt.body, tt.token)
				if code != tt.status || !strings.Contains(body, tt.contains) {
					t.Errorf("%s: %s %s = %d %s, want %d containing %q", tt.name, tt.method, tt.path, code, body, tt.status, tt.contains)
				}
			}
			// A token for a user that is not (or no longer) stored: 404.
			if code, body := req(h, "GET", "/auth/user/ghost", "", s.tok.issue("ghost")); code != 404 {
				t.Errorf("valid token, no such user: %d %s", code, body)
			}
		})
	}
}

// TestTwoServersShareTokens: two servers on one database with the same
// key accept each other's tokens (nginx may send login and the next
// request to different servers); with different keys they do not.
func TestTwoServersShareTokens(t *testing.T) {
	dsn := sharedPG(t).freshDB(t)
	open := func() Store {
		s, err := openPG(context.Background(), dsn, 2, 10*time.Second, t.Logf)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return s
	}
	a := NewServerWith(open(), []byte("shared"), time.Hour).Handler()
	b := NewServerWith(open(), []byte("shared"), time.Hour).Handler()
	c := NewServerWith(open(), []byte("other"), time.Hour).Handler()
	if code, body := req(a, "POST", "/auth/user", `{"userId":"amy","userName":"n","email":"e","userPw":"pw"}`, ""); code != 200 {
		t.Fatalf("signup on a: %d %s", code, body)
	}
	tok := loginToken(t, b, "amy", "pw") // the row written by a, read by b
	for _, tt := range []struct {
		name   string
		h      http.Handler
		status int
	}{{"a", a, 200}, {"b", b, 200}, {"c (other key)", c, 401}} {
		if code, body := req(tt.h, "GET", "/auth/user/amy", "", tok); code != tt.status {
			t.Errorf("server %s: %d %s, want %d", tt.name, code, body, tt.status)
		}
	}
}

// TestSchemaRace: servers starting at once on an empty database all get
// the schema (the advisory lock serialises CREATE TABLE IF NOT EXISTS).
func TestSchemaRace(t *testing.T) {
	dsn := sharedPG(t).freshDB(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			s, err := openPG(context.Background(), dsn, 1, 10*time.Second, t.Logf)
			if err != nil {
				t.Error(err)
				return
			}
			s.Close()
		})
	}
	wg.Wait()
	if n := countRows(t, dsn); n != 0 {
		t.Fatalf("%d rows in a fresh table", n)
	}
}

// TestHealthFollowsTheDatabase: /health is 200 while PostgreSQL answers,
// 503 once it is gone; the auth routes answer 503 too, not 500 or a hang.
func TestHealthFollowsTheDatabase(t *testing.T) {
	pg := startPG(t)
	s, err := openPG(context.Background(), pg.dsn("postgres"), 2, 10*time.Second, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := NewServerWith(s, nil, time.Hour).Handler()
	if code, body := req(h, "GET", "/health", "", ""); code != 200 {
		t.Fatalf("health with the database up: %d %s", code, body)
	}
	pg.stop()
	if code, body := req(h, "GET", "/health", "", ""); code != 503 || !strings.Contains(body, "store unavailable") {
		t.Errorf("health with the database down: %d %s", code, body)
	}
	if code, body := req(h, "POST", "/auth/user", alice, ""); code != 503 {
		t.Errorf("signup with the database down: %d %s", code, body)
	}
}

// TestOpenPGFails: a database that never comes is an error naming it
// after -db-wait, and a malformed DSN is a flag error.
func TestOpenPGFails(t *testing.T) {
	port := freePort(t)
	_, err := openPG(context.Background(), fmt.Sprintf("postgres://u@127.0.0.1:%d/db?connect_timeout=1", port), 1, 500*time.Millisecond, t.Logf)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("127.0.0.1:%d/db not usable", port)) {
		t.Errorf("no database: %v", err)
	}
	_, err = openPG(context.Background(), "postgres://[::1", 1, time.Second, t.Logf)
	if err == nil || !strings.Contains(err.Error(), "bad flag") {
		t.Errorf("bad DSN: %v", err)
	}
}

// TestRunWithPostgres: the service as started from the command line, on a
// database named by -db or by DATABASE_URL, with tokens signed by
// -token-key or AUTH_TOKEN_KEY.
func TestRunWithPostgres(t *testing.T) {
	pg := sharedPG(t)
	tests := []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"flags", []string{"-db", pg.freshDB(t), "-token-key", "k", "-db-conns", "3"}, nil},
		{"environment", nil, map[string]string{envDB: pg.freshDB(t), envTokenKey: "k"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envDB, "")
			t.Setenv(envTokenKey, "")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var log syncBuf
			ready := make(chan string, 1)
			done := make(chan error, 1)
			go func() { done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, tt.args...), &log, ready) }()
			var addr string
			select {
			case addr = <-ready:
			case err := <-done:
				t.Fatalf("run: %v\n%s", err, log.String())
			case <-time.After(30 * time.Second):
				t.Fatal("not listening")
			}
			base := "http://" + addr
			post := func(path, body string) (int, string) {
				resp, err := http.Post(base+path, "application/json", strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b := new(strings.Builder)
				_, _ = fmt.Fprint(b, readAll(resp))
				return resp.StatusCode, b.String()
			}
			if code, body := post("/auth/user", alice); code != 200 {
				t.Fatalf("signup: %d %s", code, body)
			}
			code, body := post("/auth/login", `{"userId":"alice01","userPw":"pw"}`)
			if code != 200 {
				t.Fatalf("login: %d %s", code, body)
			}
			// The same key in a server of the test's own: it accepts the token.
			_, tok, _ := strings.Cut(body, `"token":"`)
			tok, _, _ = strings.Cut(tok, `"`)
			other := tokens{key: []byte("k"), ttl: time.Hour, now: time.Now}
			if id, err := other.check(tok); err != nil || id != "alice01" {
				t.Fatalf("token %q under the shared key: %q, %v", tok, id, err)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("run after cancel: %v", err)
			}
			for _, w := range []string{"postgres store", "stopped (1 users held)"} {
				if !strings.Contains(log.String(), w) {
					t.Errorf("log %q lacks %q", log.String(), w)
				}
			}
			if strings.Contains(log.String(), "random key") {
				t.Errorf("log %q warns of a random key though one was given", log.String())
			}
		})
	}
}

func readAll(resp *http.Response) string {
	b := new(strings.Builder)
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}
