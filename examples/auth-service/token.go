package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Tokens are stateless: base64url(userId) "." expiry (Unix seconds) "."
// base64url(HMAC-SHA256(key, the first two parts)). Any server holding the
// same key (-token-key / AUTH_TOKEN_KEY) accepts a token another issued,
// so two auth servers behind a load balancer need no shared session store.
type tokens struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

var b64 = base64.RawURLEncoding

func (t *tokens) mac(payload string) []byte {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// issue returns a token for userID valid for t.ttl.
func (t *tokens) issue(userID string) string {
	payload := b64.EncodeToString([]byte(userID)) + "." + strconv.FormatInt(t.now().Add(t.ttl).Unix(), 10)
	return payload + "." + b64.EncodeToString(t.mac(payload))
}

var (
	errTokenFormat  = errors.New("malformed token")
	errTokenSig     = errors.New("bad token signature")
	errTokenExpired = errors.New("token expired")
)

// check returns the user a token was issued to.
func (t *tokens) check(tok string) (string, error) {
	i := strings.LastIndexByte(tok, '.')
	if i < 0 {
		return "", errTokenFormat
	}
	payload, sig := tok[:i], tok[i+1:]
	got, err := b64.DecodeString(sig)
	if err != nil {
		return "", errTokenFormat
	}
	if !hmac.Equal(got, t.mac(payload)) {
		return "", errTokenSig
	}
	id64, exp, ok := strings.Cut(payload, ".")
	if !ok {
		return "", errTokenFormat
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return "", errTokenFormat
	}
	if !t.now().Before(time.Unix(unix, 0)) {
		return "", errTokenExpired
	}
	id, err := b64.DecodeString(id64)
	if err != nil {
		return "", errTokenFormat
	}
	return string(id), nil
}
