package htmlreport

import (
	"path/filepath"
	"testing"

	"github.com/perfgate/perfgate/internal/results"
)

// evilName is a scenario name that breaks out of every context it could
// land in: text, attribute, <title>, a URL fragment.
const evilName = `</title></svg><script>alert("x")</script><img src=x onerror=alert(1)>'"&amp;`

// quickstart is a real run of examples/quickstart (warm-up 2 s, 5 × 3 s
// measured, no baseline), its machine path and hostname removed.
func quickstart(t *testing.T) *results.Results {
	t.Helper()
	res, err := results.Read(filepath.Join("testdata", "quickstart.json"))
	if err != nil {
		t.Fatal(err)
	}
	return res
}
