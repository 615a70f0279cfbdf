package load

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/perfgate/perfgate/internal/flow"
	"github.com/perfgate/perfgate/internal/metrics"
	"github.com/perfgate/perfgate/internal/tmpl"
)

// Step is one request of a flow (Scenario.Steps).
type Step struct {
	Name    string
	Method  string
	URL     string            // as Scenario.URL: endpoints resolved, path and query a template
	Headers map[string]string // templates
	Body    *tmpl.Template    // nil: no body
	Expect  []int             // default 200-399
}

// doFlow runs one iteration of flow scenario si: its steps in order on this
// worker (and its connections), each recorded as its own request kind; the
// iteration is recorded on si, its latency from start (the due time in the
// open model) to the end of the last step. A failing step ends the
// iteration, which then counts as failed with the step's class.
func (w *worker) doFlow(ctx context.Context, si int, start time.Time, lag time.Duration) {
	sc := w.e.scs[si]
	f := sc.flow
	it := w.iter(si)
	if err := f.Begin(it, w.st); err != nil {
		w.recordIter(si, time.Since(start), metrics.ClassClient, err, lag)
		return
	}
	if w.e.h1 != nil && w.e.opt.Model == Open {
		// The open model shares connections between requests; an
		// iteration keeps its own until it ends, then hands them back.
		w.inFlow = true
		defer w.releaseConns()
	}
	stepStart, stepLag := start, lag
	for k, sti := range sc.steps {
		var rb *respBuf
		if hdr, body := f.Wants(k); hdr || body {
			rb = &w.fl.resp
			rb.wantHdr, rb.wantBody = hdr, body
		}
		o := w.send(ctx, sti, stepStart, stepLag, rb)
		if o.canceled {
			return
		}
		if o.class == metrics.ClassNone && rb != nil {
			if err := f.Capture(it, k, rb); err != nil {
				o.class, o.err = metrics.ClassCapture, err
			}
		}
		w.record(sti, o.lat, o.status, o.class, o.err, stepLag)
		if o.class != metrics.ClassNone {
			w.recordIter(si, time.Since(start), o.class, stepFailure(w.e.scs[sti].name, o), lag)
			return
		}
		stepStart, stepLag = time.Now(), -1
	}
	w.recordIter(si, time.Since(start), metrics.ClassNone, nil, lag)
}

// releaseConns ends an open-model iteration: the connections it held go
// back to the shared pool.
func (w *worker) releaseConns() {
	w.inFlow = false
	for i, cn := range w.conns {
		if cn != nil {
			w.e.h1.put(cn)
			w.conns[i] = nil
		}
	}
}

func stepFailure(step string, o outcome) error {
	switch {
	case o.err != nil:
		return fmt.Errorf("step %q: %w", step, o.err)
	case o.class == metrics.ClassStatus:
		return fmt.Errorf("step %q: unexpected status %d %s", step, o.status, http.StatusText(o.status))
	}
	return fmt.Errorf("step %q failed (%s)", step, o.class)
}

// recordIter records a flow iteration: not a request (the steps are), so
// it counts in Progress, not in the pass's requests and errors.
func (w *worker) recordIter(si int, lat time.Duration, class metrics.Class, err error, lag time.Duration) {
	w.p.iters.Add(1)
	if class != metrics.ClassNone {
		w.p.iterErrs.Add(1)
	}
	w.batch = append(w.batch, sample{lat: lat, lag: -1, err: err, scn: int32(si), class: class})
	_ = lag // the schedule lag is the first step's, recorded with it
	if len(w.batch) == cap(w.batch) {
		w.flush()
	}
}

// flowWorker is what a worker needs for flows only.
type flowWorker struct {
	iters []*flow.Iter // per scenario with a flow: this worker's iteration
	resp  respBuf      // a flow step's response, for its captures
}

// iter returns the worker's iteration state for scenario si.
func (w *worker) iter(si int) *flow.Iter {
	if w.fl == nil {
		w.fl = &flowWorker{iters: make([]*flow.Iter, len(w.e.scs))}
	}
	if w.fl.iters[si] == nil {
		w.fl.iters[si] = w.e.scs[si].flow.NewIter()
	}
	return w.fl.iters[si]
}

// respBuf keeps what a flow step's captures read of its response: the
// header lines (perfgate-h1) or header (net/http), and the body up to
// flow.MaxBody. A nil *respBuf keeps nothing.
type respBuf struct {
	wantHdr, wantBody bool
	hdr               []byte // raw "Name: value\r\n" lines
	std               http.Header
	body              []byte
}

var _ flow.Response = (*respBuf)(nil)

func (r *respBuf) reset() {
	if r == nil {
		return
	}
	r.hdr, r.body, r.std = r.hdr[:0], r.body[:0], nil
}

// keep reads n bytes of body from br (n < 0: to EOF), keeping up to
// flow.MaxBody of them when r wants the body.
func (r *respBuf) keep(br *h1Reader, n int64) error {
	if r == nil || !r.wantBody {
		if n < 0 {
			_, err := io.Copy(io.Discard, br)
			return err
		}
		_, err := br.Discard(int(n))
		return err
	}
	room := int64(flow.MaxBody - len(r.body))
	take := room
	if n >= 0 {
		take = min(n, room)
	}
	if take > 0 {
		off := len(r.body)
		r.body = append(r.body, make([]byte, take)...)
		got, err := io.ReadFull(br, r.body[off:])
		r.body = r.body[:off+got]
		if err != nil && !(n < 0 && (err == io.EOF || err == io.ErrUnexpectedEOF)) {
			return err
		}
		if n < 0 && err != nil {
			return nil
		}
	}
	if n < 0 {
		_, err := io.Copy(io.Discard, br)
		return err
	}
	_, err := br.Discard(int(n - take))
	return err
}

// readStd reads a net/http response for the captures.
func (r *respBuf) readStd(resp *http.Response) error {
	r.reset()
	if r.wantHdr {
		r.std = resp.Header
	}
	if !r.wantBody {
		_, err := io.Copy(io.Discard, resp.Body)
		return err
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, flow.MaxBody))
	r.body = append(r.body, b...)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// Header implements flow.Response.
func (r *respBuf) Header(name string) string {
	if r.std != nil {
		return r.std.Get(name)
	}
	h := r.hdr
	for len(h) > 0 {
		line := h
		if i := bytes.IndexByte(h, '\n'); i >= 0 {
			line, h = h[:i], h[i+1:]
		} else {
			h = nil
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if ok && len(k) == len(name) && strings.EqualFold(string(k), name) {
			return string(bytes.TrimSpace(v))
		}
	}
	return ""
}

// Body implements flow.Response.
func (r *respBuf) Body() []byte { return r.body }

// addFlow compiles flow scenario sc into e.scs: its own entry (weight wt),
// then one entry per step (weight 0: sent by the flow).
func (e *Engine) addFlow(sc Scenario, wt int, weights *[]int) error {
	if sc.Flow == nil {
		return fmt.Errorf("scenario %q: steps without a compiled flow (internal/flow)", sc.Name)
	}
	if sc.Flow.Steps() != len(sc.Steps) {
		return fmt.Errorf("scenario %q: %d steps but a flow of %d", sc.Name, len(sc.Steps), sc.Flow.Steps())
	}
	fi := len(e.scs)
	f := &scenario{name: sc.Name, flow: sc.Flow, isFlow: true, parent: -1}
	e.scs = append(e.scs, f)
	*weights = append(*weights, wt)
	names := map[string]bool{}
	for _, st := range sc.Steps {
		if names[st.Name] {
			return fmt.Errorf("scenario %q: step %q: the name is used twice", sc.Name, st.Name)
		}
		names[st.Name] = true
		c, err := compileScenario(Scenario{Name: st.Name, Method: st.Method, URL: st.URL, Headers: st.Headers, Body: st.Body, Expect: st.Expect})
		if err != nil {
			return fmt.Errorf("scenario %q: step %w", sc.Name, err)
		}
		c.parent = fi
		f.steps = append(f.steps, len(e.scs))
		e.scs = append(e.scs, c)
		*weights = append(*weights, 0)
	}
	return nil
}
