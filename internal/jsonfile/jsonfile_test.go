package jsonfile

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestProblem(t *testing.T) {
	var v struct {
		N int `json:"n"`
	}
	tests := []struct{ data, want string }{
		{`{"n": 1`, "truncated"},
		{"{\n  \"n\": x}", "not valid JSON at line 2, column 8"},
		{`{"n": 1} {}`, "data after the JSON object"},
		{"{\n\"n\": \"one\"}", "field n holds a string where a int is expected (line 2"},
		{`[1]`, "not a JSON object"},
	}
	for _, tt := range tests {
		err := json.Unmarshal([]byte(tt.data), &v)
		if err == nil {
			t.Fatalf("%q decoded", tt.data)
		}
		if got := Problem([]byte(tt.data), err); !strings.Contains(got, tt.want) {
			t.Errorf("%q: %q lacks %q", tt.data, got, tt.want)
		}
	}
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.json")
	os.WriteFile(p, []byte("0123456789"), 0o644)
	if d, err := Read(p, 10); err != nil || string(d) != "0123456789" {
		t.Errorf("at the limit: %q %v", d, err)
	}
	if _, err := Read(p, 9); !errors.Is(err, ErrTooLarge) {
		t.Errorf("above the limit: %v", err)
	}
	if _, err := Read(filepath.Join(dir, "none"), 9); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
}

// allocated returns how many bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestReadOversizeNotRead(t *testing.T) {
	const limit = 8 << 20
	tests := []struct {
		name string
		size int64
	}{
		{"just above", limit + 1},
		{"sparse 1 GiB", 1 << 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "big.json")
			f, err := os.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Truncate(tt.size); err != nil { // sparse: no disk used
				t.Fatal(err)
			}
			f.Close()
			var rerr error
			n := allocated(func() { _, rerr = Read(p, limit) })
			if !errors.Is(rerr, ErrTooLarge) || !strings.Contains(rerr.Error(), "8388608") {
				t.Fatalf("got %v, want ErrTooLarge naming the limit", rerr)
			}
			if n > 1<<20 {
				t.Errorf("refusing a %d-byte file allocated %d bytes: it was read", tt.size, n)
			}
		})
	}
}

// A FIFO has no size to check: the read stops one byte past the limit.
func TestReadFIFOBounded(t *testing.T) {
	const limit = 1 << 20
	p := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	written := make(chan int64, 1)
	go func() {
		w, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			written <- -1
			return
		}
		defer w.Close()
		chunk := make([]byte, 64<<10)
		var n int64
		for n < 64<<20 { // offers 64 MiB; stops at EPIPE once the reader closes
			m, err := w.Write(chunk)
			n += int64(m)
			if err != nil {
				break
			}
		}
		written <- n
	}()
	if _, err := Read(p, limit); !errors.Is(err, ErrTooLarge) {
		t.Errorf("got %v, want ErrTooLarge", err)
	}
	select {
	case n := <-written:
		if n < 0 || n > limit+(4<<20) { // the limit plus what pipe buffers hold
			t.Errorf("the writer got %d bytes in: the read was not bounded", n)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the writer never stopped: the read did not end")
	}
}

func TestReadFolder(t *testing.T) {
	if _, err := Read(t.TempDir(), 10); err == nil || !strings.Contains(err.Error(), "folder") {
		t.Errorf("got %v", err)
	}
}
