package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// maxBody bounds a request body.
const maxBody = 64 << 10

// healthTimeout bounds the store check of GET /health.
const healthTimeout = 2 * time.Second

// User is the body of POST /auth/user (and, userId and userPw only, of
// POST /auth/login).
type User struct {
	UserID   string `json:"userId"`
	UserName string `json:"userName"`
	Email    string `json:"email"`
	UserPw   string `json:"userPw"`
}

// Server is the auth service: a user store behind HTTP.
type Server struct {
	// Latency is added to every /auth request (a floor, like a slow DB).
	Latency time.Duration
	// CPU is the number of SHA-256 rounds spent per /auth request (on the
	// password hash on signup and login, on the token on GET): raise it to
	// make a real, CPU-bound regression.
	CPU int
	// ExtraHash is the number of rounds extraHash spends per /auth
	// request: CPU work a profile can name.
	ExtraHash int

	store  Store
	tok    tokens
	rounds atomic.Int64 // hash rounds done, for tests and curiosity
}

// NewServer returns a Server on an in-memory store keeping at most
// maxUsers users, signing tokens with a random key.
func NewServer(maxUsers int) *Server {
	return NewServerWith(newMemStore(maxUsers), nil, time.Hour)
}

// NewServerWith returns a Server on store, signing tokens with key (a
// random key if empty: tokens then only work on this process) valid for
// ttl.
func NewServerWith(store Store, key []byte, ttl time.Duration) *Server {
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key) // never fails (crypto/rand panics instead)
	}
	return &Server{store: store, tok: tokens{key: key, ttl: ttl, now: time.Now}}
}

// Handler routes the service's endpoints.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", s.health)
	mux.HandleFunc("POST /auth/user", s.slow(s.createUser))
	mux.HandleFunc("POST /auth/login", s.slow(s.login))
	mux.HandleFunc("GET /auth/user/{id}", s.slow(s.getUser))
	return mux
}

// health answers 200 "ok" when the store can serve (PostgreSQL answers a
// ping), 503 otherwise; never slowed.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.store.Ping(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = fmt.Fprintf(w, "store unavailable: %v\n", err)
		return
	}
	_, _ = w.Write([]byte("ok"))
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

// work spends s.CPU SHA-256 rounds on salt+data and returns the last sum
// (the stored password hash does not depend on it: see hashPassword).
func (s *Server) work(salt, data string) [sha256.Size]byte {
	sum := sha256.Sum256([]byte(salt + "\x00" + data))
	for range s.CPU {
		sum = sha256.Sum256(sum[:])
	}
	if s.CPU > 0 {
		s.rounds.Add(int64(s.CPU))
	}
	if s.ExtraHash > 0 {
		sum[0] ^= byte(extraHash(sum, s.ExtraHash))
	}
	return sum
}

// hashPassword is the stored form of a password: SHA-256 of
// userId NUL password (the userId is the salt). Cheap on purpose, this is
// a load-test target; a real service uses a slow KDF (argon2id, bcrypt).
func hashPassword(id, pw string) [sha256.Size]byte {
	return sha256.Sum256([]byte(id + "\x00" + pw))
}

// decodeUser reads one JSON User from the body and checks that the named
// fields are not blank; on failure it has answered 400.
func decodeUser(w http.ResponseWriter, r *http.Request, fields ...string) (User, bool) {
	var u User
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&u); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad JSON: " + err.Error()})
		return u, false
	}
	if dec.More() {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad JSON: more than one value"})
		return u, false
	}
	vals := map[string]string{"userId": u.UserID, "userName": u.UserName, "email": u.Email, "userPw": u.UserPw}
	var missing []string
	for _, f := range fields {
		if strings.TrimSpace(vals[f]) == "" {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "missing fields: " + strings.Join(missing, ", ")})
		return u, false
	}
	return u, true
}

func storeFailed(w http.ResponseWriter, err error) {
	writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "store: " + err.Error()})
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	u, ok := decodeUser(w, r, "userId", "userName", "email", "userPw")
	if !ok {
		return
	}
	s.work(u.UserID, u.UserPw)
	rec := Record{UserName: u.UserName, Email: u.Email, PwHash: hashPassword(u.UserID, u.UserPw)}
	added, err := s.store.Add(r.Context(), u.UserID, rec)
	if err != nil {
		storeFailed(w, err)
		return
	}
	if !added {
		writeJSON(w, http.StatusConflict, map[string]string{"status": "duplicate", "error": "userId already exists"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "created"})
}

// login answers a token for a known userId and its password, 401 for a
// wrong password or an unknown userId (the same answer for both).
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	u, ok := decodeUser(w, r, "userId", "userPw")
	if !ok {
		return
	}
	s.work(u.UserID, u.UserPw)
	rec, found, err := s.store.Get(r.Context(), u.UserID)
	if err != nil {
		storeFailed(w, err)
		return
	}
	want := hashPassword(u.UserID, u.UserPw)
	if !found || subtle.ConstantTimeCompare(rec.PwHash[:], want[:]) != 1 {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "wrong userId or password"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": s.tok.issue(u.UserID)})
}

// getUser needs "Authorization: Bearer <token>" issued to that user: 401
// without one or with a bad one, 403 with another user's.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || bearer == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="auth-service"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "missing Authorization: Bearer <token> (POST /auth/login gives one)"})
		return
	}
	s.work(id, bearer)
	owner, err := s.tok.check(bearer)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="auth-service", error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": err.Error()})
		return
	}
	if owner != id {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "the token is for another user"})
		return
	}
	rec, found, err := s.store.Get(r.Context(), id)
	if err != nil {
		storeFailed(w, err)
		return
	}
	if !found {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such user"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"userId": id, "userName": rec.UserName, "email": rec.Email})
}

// Users is the number of users held (-1 if the store cannot count).
func (s *Server) Users() int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := s.store.Count(ctx)
	if err != nil {
		return -1
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
