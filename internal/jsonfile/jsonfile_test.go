package jsonfile

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
