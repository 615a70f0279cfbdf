package main

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// shards splits the store so that concurrent requests rarely share a lock.
const shards = 64

// maxBody bounds a request body.
const maxBody = 64 << 10

// User is the body of POST /auth/user.
type User struct {
	UserID   string `json:"userId"`
	UserName string `json:"userName"`
	Email    string `json:"email"`
	UserPw   string `json:"userPw"`
}

// record is what the store keeps: never the password itself.
type record struct {
	userName, email string
	pwHash          [sha256.Size]byte
}

// Server is the auth service: an in-memory user store behind HTTP.
type Server struct {
	// Latency is added to every /auth request (a floor, like a slow DB).
	Latency time.Duration
	// CPU is the number of SHA-256 rounds spent per /auth request (the
	// password hash on POST, a token check on GET): raise it to make a
	// real, CPU-bound regression.
	CPU int

	seed   maphash.Seed
	shard  [shards]shard
	rounds atomic.Int64 // hash rounds done, for tests and curiosity
}

// shard is a bounded map; when full, the oldest user of the shard is
// evicted (FIFO), so memory stays bounded however long a load runs.
type shard struct {
	mu    sync.Mutex
	users map[string]record
	order []string // ring of ids in insertion order
	head  int      // oldest entry once the ring is full
	max   int
}

// NewServer returns a Server keeping at most maxUsers users (at least one
// per shard).
func NewServer(maxUsers int) *Server {
	s := &Server{seed: maphash.MakeSeed()}
	per := max(1, (maxUsers+shards-1)/shards)
	for i := range s.shard {
		s.shard[i].users = map[string]record{}
		s.shard[i].max = per
	}
	return s
}

// Handler routes the service's endpoints.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
	})
	mux.HandleFunc("POST /auth/user", s.slow(s.createUser))
	mux.HandleFunc("GET /auth/user/{id}", s.slow(s.getUser))
	return mux
}

// slow adds the configured latency before h (cut short if the client leaves).
func (s *Server) slow(h http.HandlerFunc) http.HandlerFunc {
	if s.Latency <= 0 {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		t := time.NewTimer(s.Latency)
		defer t.Stop()
		select {
		case <-t.C:
			h(w, r)
		case <-r.Context().Done():
		}
	}
}

// work spends s.CPU SHA-256 rounds on salt+data.
func (s *Server) work(salt, data string) [sha256.Size]byte {
	sum := sha256.Sum256([]byte(salt + "\x00" + data))
	for range s.CPU {
		sum = sha256.Sum256(sum[:])
	}
	if s.CPU > 0 {
		s.rounds.Add(int64(s.CPU))
	}
	return sum
}

func (s *Server) shardFor(id string) *shard {
	return &s.shard[maphash.String(s.seed, id)%shards]
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var u User
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&u); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad JSON: " + err.Error()})
		return
	}
	if dec.More() {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad JSON: more than one value"})
		return
	}
	var missing []string
	for _, f := range []struct{ name, v string }{{"userId", u.UserID}, {"userName", u.UserName}, {"email", u.Email}, {"userPw", u.UserPw}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "missing fields: " + strings.Join(missing, ", ")})
		return
	}
	rec := record{userName: u.UserName, email: u.Email, pwHash: s.work(u.UserID, u.UserPw)}
	if !s.shardFor(u.UserID).add(u.UserID, rec) {
		writeJSON(w, http.StatusConflict, map[string]string{"status": "duplicate", "error": "userId already exists"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "created"})
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.work(id, "lookup")
	rec, ok := s.shardFor(id).get(id)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such user"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"userId": id, "userName": rec.userName, "email": rec.email})
}

// add stores rec unless id exists; it evicts the oldest user when full.
func (sh *shard) add(id string, rec record) bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, dup := sh.users[id]; dup {
		return false
	}
	if len(sh.order) < sh.max {
		sh.order = append(sh.order, id)
	} else {
		delete(sh.users, sh.order[sh.head])
		sh.order[sh.head] = id
		sh.head = (sh.head + 1) % sh.max
	}
	sh.users[id] = rec
	return true
}

func (sh *shard) get(id string) (record, bool) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	rec, ok := sh.users[id]
	return rec, ok
}

// Users is the number of users held.
func (s *Server) Users() int {
	n := 0
	for i := range s.shard {
		s.shard[i].mu.Lock()
		n += len(s.shard[i].users)
		s.shard[i].mu.Unlock()
	}
	return n
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// errBadFlag marks a flag problem (exit 2).
var errBadFlag = errors.New("bad flag")

func validate(latency time.Duration, cpu, maxUsers int) error {
	switch {
	case latency < 0:
		return fmt.Errorf("%w: -latency %v is negative", errBadFlag, latency)
	case cpu < 0:
		return fmt.Errorf("%w: -cpu %d is negative", errBadFlag, cpu)
	case maxUsers < 1:
		return fmt.Errorf("%w: -max-users %d must be at least 1", errBadFlag, maxUsers)
	}
	return nil
}
