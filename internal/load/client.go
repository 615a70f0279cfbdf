package load

import (
	"fmt"
)

// pickClient sets up the HTTP client Options.HTTPClient asks for.
func (e *Engine) pickClient() error {
	why := "" // why the fast path cannot be used
	switch {
	case e.opt.Transport != nil:
		why = "a custom Transport is set"
	case e.opt.Client.HTTP2:
		why = "HTTP/2 is asked for"
	case e.opt.Client.MaxConnsPerHost > 0 && e.opt.Client.MaxConnsPerHost < Concurrency(e.opt):
		why = "max_conns_per_host caps connections below the concurrency"
	}
	for _, sc := range e.scs {
		if why == "" && !sc.isFlow && sc.url.Scheme != "http" {
			why = fmt.Sprintf("scenario %q is %s", sc.name, sc.url.Scheme)
		}
	}
	switch e.opt.HTTPClient {
	case "", ClientAuto:
		if why == "" {
			e.client = ClientH1
		} else {
			e.client = ClientNetHTTP
		}
	case ClientH1:
		if why != "" {
			return fmt.Errorf("http client %q cannot be used: %s; use %q or %q", ClientH1, why, ClientAuto, ClientNetHTTP)
		}
		e.client = ClientH1
	case ClientNetHTTP:
		e.client = ClientNetHTTP
	default:
		return fmt.Errorf("unknown http client %q: use %q, %q or %q", e.opt.HTTPClient, ClientAuto, ClientH1, ClientNetHTTP)
	}
	if e.client == ClientNetHTTP {
		if e.rt == nil {
			e.rt = NewTransport(e.opt.Client, Concurrency(e.opt))
		}
		return nil
	}
	dial := e.opt.Client.DialTimeout.D()
	if dial <= 0 {
		dial = DefaultDialTimeout
	}
	e.h1 = newH1Client(dial, e.opt.Client.KeepAliveOn())
	for _, sc := range e.scs {
		if sc.isFlow {
			continue
		}
		t, err := e.h1.addTarget(sc)
		if err != nil {
			return err
		}
		sc.h1 = t
	}
	return nil
}

// Client names the HTTP client the Engine uses: ClientH1 or ClientNetHTTP.
func (e *Engine) Client() string { return e.client }
