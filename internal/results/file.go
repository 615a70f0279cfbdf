package results

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfgate/perfgate/internal/atomicfile"
	"github.com/perfgate/perfgate/internal/jsonfile"
)

// MaxFileSize bounds what Read accepts. A regular file's size is checked
// before it is read; a FIFO is read through the limit.
const MaxFileSize = 256 << 20

// FileError says what is wrong with a results file and what to do.
type FileError struct {
	Path    string
	Problem string
	Err     error
}

func (e *FileError) Error() string {
	return fmt.Sprintf("results file %s: %s", e.Path, e.Problem)
}

func (e *FileError) Unwrap() error { return e.Err }

// Read loads a results file written by `perfgate run --out`.
func Read(path string) (*Results, error) {
	return ReadContext(context.Background(), path)
}

// ReadContext is Read, stopping when ctx ends (a FIFO nobody writes to).
func ReadContext(ctx context.Context, path string) (*Results, error) {
	data, err := jsonfile.ReadContext(ctx, path, MaxFileSize)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, &FileError{Path: path, Problem: "not found; write one with `perfgate run --out " + path + "`", Err: err}
	case errors.Is(err, jsonfile.ErrTooLarge):
		return nil, &FileError{Path: path, Problem: fmt.Sprintf("larger than the %d MiB limit for a results file (%v); is it a results file?", MaxFileSize>>20, err), Err: err}
	case err != nil:
		return nil, &FileError{Path: path, Problem: err.Error(), Err: err}
	}
	return Parse(path, data)
}

// Parse decodes and checks results JSON.
func Parse(path string, data []byte) (*Results, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &FileError{Path: path, Problem: "empty (was the run interrupted before it wrote the file?)"}
	}
	var head struct {
		Schema *string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, &FileError{Path: path, Problem: jsonfile.Problem(data, err), Err: err}
	}
	switch {
	case head.Schema == nil:
		return nil, &FileError{Path: path, Problem: fmt.Sprintf("no \"schema\" field; expected %q (is this a perfgate results file?)", Schema)}
	case *head.Schema != Schema:
		hint := "written by another perfgate version?"
		if strings.HasPrefix(*head.Schema, "perfgate/results/") {
			hint = "written by a newer perfgate; upgrade perfgate to read it"
		}
		return nil, &FileError{Path: path, Problem: fmt.Sprintf("schema %q is not %q: %s", *head.Schema, Schema, hint)}
	}
	// Unmarshal, not a Decoder over data: a Decoder would copy the whole
	// file into its own buffer first.
	var r Results
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, &FileError{Path: path, Problem: "does not match the results schema: " + jsonfile.Problem(data, err), Err: err}
	}
	if err := r.Validate(); err != nil {
		return nil, &FileError{Path: path, Problem: err.Error() + "; is this a perfgate results file, written by `perfgate run --out`?", Err: err}
	}
	return &r, nil
}

// Validate reports the first thing in r that no perfgate run can produce:
// a verdict other than pass, fail or no-baseline, a scenario without a
// name, impossible figures (negative counts, throughput, durations or
// latencies, an error rate outside 0..1) in a scenario, one of its runs or
// the warm-up, or a histogram that does not decode. Parse calls it; so does anything that takes results from
// elsewhere.
func (r *Results) Validate() error {
	if r == nil {
		return errors.New("no results")
	}
	switch r.Verdict {
	case VerdictPass, VerdictFail, VerdictNoBaseline, VerdictInconclusive:
	default:
		return fmt.Errorf("verdict %q is not one of %q, %q, %q, %q", r.Verdict, VerdictPass, VerdictFail, VerdictNoBaseline, VerdictInconclusive)
	}
	for _, part := range []struct {
		what string
		scs  []Scenario
	}{{"scenarios", r.Scenarios}, {"warmup", r.Warmup}} {
		for i, s := range part.scs {
			if s.Name == "" {
				return fmt.Errorf("%s[%d] has no name", part.what, i)
			}
			if p := figuresProblem(s.Figures); p != "" {
				return fmt.Errorf("%s: scenario %q has impossible figures: %s", part.what, s.Name, p)
			}
			if err := CheckHistogram(s.Histogram); err != nil {
				return fmt.Errorf("%s: scenario %q: histogram %v", part.what, s.Name, err)
			}
			for j, run := range s.Runs {
				if p := figuresProblem(run.Figures); p != "" {
					return fmt.Errorf("%s: scenario %q, runs[%d] has impossible figures: %s", part.what, s.Name, j, p)
				}
			}
		}
	}
	return nil
}

// CheckHistogram reports whether h, a Scenario.Histogram, decodes: base64
// of an HdrHistogram in its compressed V2 encoding. "" (no histogram) is
// fine.
func CheckHistogram(h string) (err error) {
	if h == "" {
		return nil
	}
	if _, err := base64.StdEncoding.DecodeString(h); err != nil {
		return fmt.Errorf("is not base64: %w", err)
	}
	defer func() {
		if p := recover(); p != nil { // bad input never panics
			err = fmt.Errorf("is not an HdrHistogram (V2 compressed): %v", p)
		}
	}()
	if _, err := hdrhistogram.Decode([]byte(h)); err != nil {
		return fmt.Errorf("is not an HdrHistogram (V2 compressed): %w", err)
	}
	return nil
}

// figuresProblem says what is impossible in f, or "".
func figuresProblem(f Figures) string {
	e := f.Errors
	l := f.LatencyMS
	switch {
	case f.Requests < 0:
		return fmt.Sprintf("requests %d is negative", f.Requests)
	case f.DurationS < 0:
		return fmt.Sprintf("duration_s %v is negative", f.DurationS)
	case f.ThroughputRPS < 0:
		return fmt.Sprintf("throughput_rps %v is negative", f.ThroughputRPS)
	case !(f.ErrorRate >= 0 && f.ErrorRate <= 1):
		return fmt.Sprintf("error_rate %v is outside 0..1", f.ErrorRate)
	case e.Timeout < 0 || e.Refused < 0 || e.Reset < 0 || e.Status < 0 || e.Other < 0:
		return "an error count is negative"
	case l.P50 < 0 || l.P90 < 0 || l.P95 < 0 || l.P99 < 0 || l.Max < 0 || l.Mean < 0:
		return "a latency is negative"
	}
	for code, n := range f.StatusCounts {
		if n < 0 {
			return fmt.Sprintf("status_counts[%q] is negative", code)
		}
	}
	return ""
}

// Write stores r at path atomically: a temporary file in the same folder,
// synced, then renamed over path, so a reader never sees half a file.
func Write(path string, r *Results) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding results: %w", err)
	}
	data = append(data, '\n')
	return atomicfile.Write(path, data, 0o644)
}
