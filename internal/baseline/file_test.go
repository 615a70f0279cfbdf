package baseline

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfgate/perfgate/internal/results/resultstest"
)

// testHistogram is a valid histogram string, as results carry.
var testHistogram = func() string {
	h := hdrhistogram.New(1, 3_600_000_000, 3)
	for _, v := range []int64{900, 1100, 2500} {
		h.RecordValue(v)
	}
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		panic(err)
	}
	return string(b)
}()

func TestHistogramChecked(t *testing.T) {
	tests := []struct {
		name, hist, want string // want "" for accepted
	}{
		{"valid", testHistogram, ""},
		{"none", "", ""},
		{"not base64", "HISTFAAAA", `scenario "login": histogram is not base64`},
		{"base64, not HDR", base64.StdEncoding.EncodeToString([]byte("garbage garbage")), `scenario "login": histogram is not an HdrHistogram`},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := FromResults(resultstest.AuthRun(testHistogram))
			b.Scenarios[0].Histogram = tt.hist
			// Write refuses to store it...
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".json")
			werr := Write(path, b)
			// ...and Read refuses a file that holds it.
			b.Schema = Schema
			data, err := jsonMarshalUnchecked(b)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(path, data, 0o644)
			_, rerr := Read(path)
			if tt.want == "" {
				if werr != nil || rerr != nil {
					t.Fatalf("rejected: write %v, read %v", werr, rerr)
				}
				return
			}
			if werr == nil || !strings.Contains(werr.Error(), tt.want) {
				t.Errorf("Write: %v, want %q", werr, tt.want)
			}
			var be *Error
			if !errors.As(rerr, &be) || !strings.Contains(rerr.Error(), tt.want) || !strings.Contains(rerr.Error(), path) {
				t.Errorf("Read: %v, want an *Error with %q and the path", rerr, tt.want)
			}
		})
	}
}

// An oversize baseline is refused from its size, without being read.
func TestReadOversizeRefusedUnread(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.json")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil { // sparse
		t.Fatal(err)
	}
	f.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = Read(p)
	runtime.ReadMemStats(&after)
	var be *Error
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "64 MiB limit") {
		t.Fatalf("got %v, want an *Error naming the 64 MiB limit", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("refusing it allocated %d bytes: it was read", n)
	}
}

// jsonMarshalUnchecked encodes b as Write would, without Marshal's checks.
func jsonMarshalUnchecked(b *Baseline) ([]byte, error) { return json.MarshalIndent(b, "", "  ") }
