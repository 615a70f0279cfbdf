package profdiff

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/pprof/profile"
)

// requestsComment prefixes the comment that records, in a stored
// profile, the requests its CPU time is divided by.
const requestsComment = "perfgate requests: "

// SetRequests records in p the requests completed while it was taken.
func SetRequests(p *profile.Profile, n int64) {
	kept := p.Comments[:0]
	for _, c := range p.Comments {
		if !strings.HasPrefix(c, requestsComment) {
			kept = append(kept, c)
		}
	}
	p.Comments = append(kept, requestsComment+strconv.FormatInt(n, 10))
}

// Requests reads what SetRequests recorded.
func Requests(p *profile.Profile) (int64, bool) {
	for _, c := range p.Comments {
		if v, ok := strings.CutPrefix(c, requestsComment); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			return n, err == nil && n > 0
		}
	}
	return 0, false
}

// Shrink encodes p (gzipped) in at most maxBytes: samples whose CPU is a
// tiny fraction of the total are dropped, from 0.01% up to 5%, until it
// fits. It changes p.
func Shrink(p *profile.Profile, maxBytes int) ([]byte, error) {
	idx := cpuIndex(p)
	if idx < 0 {
		return nil, fmt.Errorf("the profile holds no CPU time")
	}
	var total int64
	for _, s := range p.Sample {
		total += s.Value[idx]
	}
	for frac := 0.0001; ; frac *= 2 {
		min := int64(frac * float64(total))
		kept := p.Sample[:0]
		for _, s := range p.Sample {
			if s.Value[idx] >= min {
				kept = append(kept, s)
			}
		}
		p.Sample = kept
		q := p.Compact()
		var buf bytes.Buffer
		if err := q.Write(&buf); err != nil {
			return nil, err
		}
		if buf.Len() <= maxBytes {
			return buf.Bytes(), nil
		}
		if frac > 0.05 {
			return nil, fmt.Errorf("the profile is %d bytes even without the samples under 5%% of its CPU: more than the limit of %d", buf.Len(), maxBytes)
		}
	}
}
