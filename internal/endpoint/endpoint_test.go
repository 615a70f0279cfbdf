package endpoint

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// RenderOnly resolves the endpoint actions with literal arguments and keeps
// every other action for the per-request template.
func TestRenderOnly(t *testing.T) {
	resolve := func(_ context.Context, svc, port string) (string, error) {
		if svc != "api" {
			return "", errors.New("no such service " + svc)
		}
		return "127.0.0.1:1" + port, nil
	}
	render := func(a string) (string, error) { return Render(context.Background(), a, resolve) }
	tests := []struct {
		in, want, err string
	}{
		{"http://x/a", "http://x/a", ""},
		{`http://{{ endpoint "api" "80" }}/u/{{ seq }}`, "http://127.0.0.1:180/u/{{ seq }}", ""},
		{`http://{{endpoint "api" 80}}/{{ var "id" }}?t={{ endpoint "api" "81" }}`, `http://127.0.0.1:180/{{ var "id" }}?t=127.0.0.1:181`, ""},
		{`http://{{ endpoint "db" "80" }}/`, "", "no such service db"},
	}
	for _, tt := range tests {
		got, err := RenderOnly(tt.in, render)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err %v; want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: %q %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
