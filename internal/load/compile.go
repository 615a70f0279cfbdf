package load

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/perfgate/perfgate/internal/flow"
	"github.com/perfgate/perfgate/internal/tmpl"
)

type scenario struct {
	name      string
	method    string
	url       *url.URL
	path      *tmpl.Template // per-request path and query; nil: url is constant
	header    http.Header    // constant headers, shared read-only by requests
	host      string         // a constant Host header ("" = the URL's host)
	hdrTmpl   []hdrTemplate
	body      *tmpl.Template
	constBody []byte // body when constant
	getBody   func() (io.ReadCloser, error)
	expect    [10]uint64 // bitset over statuses 0..639
	h1        *h1Target  // the pre-serialized request (ClientH1)
	// A flow: isFlow marks the entry that records iterations (it sends
	// nothing itself); steps are its steps' indexes in Engine.scs, and
	// parent is a step's flow (-1: a top-level scenario).
	flow   *flow.Flow
	isFlow bool
	steps  []int
	parent int
}

type hdrTemplate struct {
	key string
	t   *tmpl.Template
}

func (s *scenario) expected(code int) bool {
	if code < 0 || code >= 640 {
		return false
	}
	return s.expect[code/64]&(1<<(code%64)) != 0
}

func compileScenario(sc Scenario) (*scenario, error) {
	if sc.Name == "" {
		return nil, errors.New("a scenario has no name")
	}
	origin, pathText, err := tmpl.SplitURL(sc.URL)
	if err != nil {
		return nil, fmt.Errorf("scenario %q: %v", sc.Name, err)
	}
	var path *tmpl.Template
	if pathText != "" {
		path, err = tmpl.Compile(sc.Name+" url", pathText)
		if err != nil {
			return nil, fmt.Errorf("scenario %q: url: %w", sc.Name, err)
		}
		if path.Constant() { // only comments or empty actions
			origin, path = origin+string(path.Bytes()), nil
		} else {
			origin += "/"
		}
	}
	u, err := url.Parse(origin)
	if err != nil {
		return nil, fmt.Errorf("scenario %q: url %q: %v", sc.Name, sc.URL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("scenario %q: url %q must be absolute http:// or https://", sc.Name, sc.URL)
	}
	method := strings.ToUpper(sc.Method)
	if method == "" {
		method = http.MethodGet
	}
	c := &scenario{name: sc.Name, method: method, url: u, path: path, header: http.Header{}, body: sc.Body}
	keys := make([]string, 0, len(sc.Headers))
	for k := range sc.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t, err := tmpl.Compile(sc.Name+" header "+k, sc.Headers[k])
		if err != nil {
			return nil, fmt.Errorf("scenario %q: %w", sc.Name, err)
		}
		if t.Constant() {
			if http.CanonicalHeaderKey(k) == "Host" {
				c.host = string(t.Bytes()) // net/http sends req.Host, not Header["Host"]
				continue
			}
			c.header.Set(k, string(t.Bytes()))
		} else {
			c.hdrTmpl = append(c.hdrTmpl, hdrTemplate{key: http.CanonicalHeaderKey(k), t: t})
		}
	}
	// Both HTTP clients introduce themselves the same way.
	uaSet := c.header.Get("User-Agent") != ""
	for _, h := range c.hdrTmpl {
		uaSet = uaSet || h.key == "User-Agent"
	}
	if !uaSet {
		c.header.Set("User-Agent", UserAgent)
	}
	if sc.Body != nil && sc.Body.Constant() {
		b := sc.Body.Bytes()
		c.constBody = b
		c.getBody = func() (io.ReadCloser, error) { return &bodyReader{b: b}, nil }
	}
	expect := sc.Expect
	if len(expect) == 0 {
		for code := 200; code <= 399; code++ {
			c.expect[code/64] |= 1 << (code % 64)
		}
	}
	for _, code := range expect {
		if code < 100 || code > 599 {
			return nil, fmt.Errorf("scenario %q: expected status %d is not an HTTP status (100-599)", sc.Name, code)
		}
		c.expect[code/64] |= 1 << (code % 64)
	}
	return c, nil
}

// buildWheel spreads scenario indexes over a cycle in proportion to their
// weights (smooth weighted round-robin), so request i uses wheel[i%len].
func buildWheel(weights []int) []int32 {
	g := 0
	total := 0
	for _, w := range weights {
		g = gcd(g, w)
	}
	w := make([]int, len(weights))
	for i, x := range weights {
		w[i] = x / g
		total += w[i]
	}
	const maxWheel = 1 << 14
	if total > maxWheel { // keep the cycle short; proportions within 1/maxWheel
		total = 0
		sum := 0
		for _, x := range w {
			sum += x
		}
		for i, x := range w {
			if x > 0 {
				w[i] = max(1, int(float64(x)*maxWheel/float64(sum)+0.5))
			}
			total += w[i]
		}
	}
	wheel := make([]int32, total)
	cur := make([]int, len(w))
	for k := range wheel {
		best := 0
		for i := range w {
			cur[i] += w[i]
			if cur[i] > cur[best] {
				best = i
			}
		}
		cur[best] -= total
		wheel[k] = int32(best)
	}
	return wheel
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// templated: some request is rendered per send (a flow, or a templated
// URL, header or body), so workers need a template State.
func (e *Engine) templated() bool {
	for _, sc := range e.scs {
		if sc.flow != nil || sc.path != nil || len(sc.hdrTmpl) > 0 || (sc.body != nil && sc.constBody == nil) {
			return true
		}
	}
	return false
}
