package schema_test

import (
	"testing"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/schema"
)

// The schema and the loader agree on limits: the forms one accepts the
// other does, and the schema flags what an editor should.
func TestConfigSchemaLimits(t *testing.T) {
	s := compile(t, "perfgate.schema.json", schema.Config)
	head := "name: x\nload: {measure: {requests: 10}}\nscenarios:\n  - name: a\n"
	for _, c := range []struct {
		name, yaml string
		ok         bool
	}{
		{"every metric", "    url: http://127.0.0.1:1/\n    limits: {p50: < 1ms, p90: <= 2 ms, p95: \"< 200ms\", p99: [\">= 1us\", \"< 1.5s\"], mean: < 100µs, max: < 3s, error_rate: < 1%, goodput: \"> 500/s\"}\n", true},
		{"goodput in req/s", "    url: http://127.0.0.1:1/\n    limits: {goodput: \">= 10 req/s\"}\n", true},
		{"on a step", "    steps:\n      - {name: s, url: 'http://127.0.0.1:1/', limits: {p95: < 20ms}}\n", true},
		{"no operator", "    url: http://127.0.0.1:1/\n    limits: {p95: 200ms}\n", false},
		{"no unit", "    url: http://127.0.0.1:1/\n    limits: {p95: < 200}\n", false},
		{"rate as a fraction", "    url: http://127.0.0.1:1/\n    limits: {error_rate: < 0.01}\n", false},
		{"goodput without /s", "    url: http://127.0.0.1:1/\n    limits: {goodput: \"> 500\"}\n", false},
		{"unknown metric", "    url: http://127.0.0.1:1/\n    limits: {p97: < 1ms}\n", false},
		{"empty list", "    url: http://127.0.0.1:1/\n    limits: {p95: []}\n", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			y := []byte(head + c.yaml)
			serr := s.Validate(instance(t, y, true))
			_, perr := config.Parse("perfgate.yaml", y)
			if (serr == nil) != c.ok || (perr == nil) != c.ok {
				t.Errorf("want ok=%v; schema: %v; perfgate: %v", c.ok, serr, perr)
			}
		})
	}
}
