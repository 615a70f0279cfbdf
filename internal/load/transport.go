package load

import (
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/perfgate/perfgate/internal/config"
)

// ClientName names the net/http client.
//
// Deprecated: the client is chosen per Engine; use Engine.Client.
const ClientName = ClientNetHTTP

// Client defaults, used when config.Client leaves a field zero.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultDialTimeout = 3 * time.Second
)

// NewTransport builds an *http.Transport tuned for load: as many idle
// connections per host as there are concurrent requests (so none is closed
// and reopened between requests), no proxy, no transparent compression, and
// the timeouts, keep-alive, pool sizes, TLS and HTTP/2 settings of c.
// concurrency is the number of workers (closed model) or max_in_flight (open).
//
// HTTP/2 (c.HTTP2) means HTTP/2 only: negotiated by ALPN over TLS and with
// prior knowledge (h2c) over plain http://; a server that cannot speak it
// fails the requests rather than silently falling back to HTTP/1.1.
func NewTransport(c config.Client, concurrency int) *http.Transport {
	if concurrency < 1 {
		concurrency = 1
	}
	dial := c.DialTimeout.D()
	if dial <= 0 {
		dial = DefaultDialTimeout
	}
	d := &net.Dialer{Timeout: dial, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		Proxy:                  nil, // load goes straight to the service under test
		DialContext:            d.DialContext,
		MaxIdleConns:           c.MaxIdleConns, // 0: no limit
		MaxIdleConnsPerHost:    c.MaxIdleConnsPerHost,
		MaxConnsPerHost:        c.MaxConnsPerHost, // 0: no limit
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    dial,
		ExpectContinueTimeout:  time.Second,
		DisableKeepAlives:      !c.KeepAliveOn(),
		DisableCompression:     true, // measure what the server sends, not our gunzip
		MaxResponseHeaderBytes: 1 << 20,
		// Read/write buffers stay at net/http's 4 KB: thousands of
		// connections must not cost 32 KB each.
	}
	if t.MaxIdleConnsPerHost <= 0 {
		t.MaxIdleConnsPerHost = concurrency
	}
	if c.InsecureSkipVerify {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for by the user
	}
	if c.HTTP2 {
		var p http.Protocols
		p.SetHTTP2(true)
		p.SetUnencryptedHTTP2(true)
		t.Protocols = &p
	}
	return t
}

var errNoBound = errors.New("a pass needs a request count or a duration (or both)")
