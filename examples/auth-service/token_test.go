package main

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTokens(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tk := tokens{key: []byte("key"), ttl: time.Minute, now: func() time.Time { return now }}
	good := tk.issue("민준.x")
	later := tokens{key: tk.key, ttl: time.Minute, now: func() time.Time { return now.Add(time.Minute) }}
	otherKey := tokens{key: []byte("key2"), ttl: time.Minute, now: tk.now}
	tests := []struct {
		name string
		tk   tokens
		tok  string
		id   string
		err  error
	}{
		{"valid, id with a dot and Hangul", tk, good, "민준.x", nil},
		{"expired at its ttl", later, good, "", errTokenExpired},
		{"another key", otherKey, good, "", errTokenSig},
		{"signature cut", tk, good[:len(good)-3], "", errTokenSig},
		{"payload changed", tk, "eA" + good[strings.IndexByte(good, '.'):], "", errTokenSig},
		{"no dot", tk, "abc", "", errTokenFormat},
		{"signature not base64", tk, "a.b.!!", "", errTokenFormat},
		{"empty", tk, "", "", errTokenFormat},
	}
	for _, tt := range tests {
		id, err := tt.tk.check(tt.tok)
		if id != tt.id || !errors.Is(err, tt.err) {
			t.Errorf("%s: check(%q) = %q, %v; want %q, %v", tt.name, tt.tok, id, err, tt.id, tt.err)
		}
	}
}

// FuzzTokenCheck: any string is either rejected or was signed with the
// key; issue then check gives the id back.
func FuzzTokenCheck(f *testing.F) {
	tk := tokens{key: []byte("k"), ttl: time.Hour, now: time.Now}
	f.Add("alice", tk.issue("alice"))
	f.Add("", "..")
	f.Add("x.y", "eA.1.AAAA")
	f.Fuzz(func(t *testing.T, id, tok string) {
		if got, err := tk.check(tk.issue(id)); err != nil || got != id {
			t.Fatalf("round trip of %q: %q, %v", id, got, err)
		}
		if got, err := tk.check(tok); err == nil {
			// Accepted: it must be exactly what issue makes for got at some expiry.
			if !strings.HasPrefix(tok, b64.EncodeToString([]byte(got))+".") {
				t.Fatalf("accepted %q for %q", tok, got)
			}
		}
	})
}
