package htmlreport

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/results/resultstest"
)

// chromium finds a Chromium (Debian's `chromium`, which CI installs) or
// skips the test saying how to get one.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on PATH: install it (Debian: apt-get install -y chromium; .ci/run does) to test the HTML report in a browser")
	return ""
}

// pageState is what the browser test reads back from the loaded page.
type pageState struct {
	Title     string
	Verdict   string
	Scripts   int
	Overflow  bool // wider than the window: a horizontal scroll bar
	Scenarios []struct {
		Name   string
		Charts []struct {
			Title   string
			Points  int
			Dots    int
			Tips    int     // dots with a non-empty tooltip
			Width   float64 // as laid out, CSS pixels
			Height  float64
			LineLen float64 // total length of the drawn lines
		}
	}
}

const readPage = `(() => ({
  title: document.title,
  verdict: (document.querySelector('#verdict') || {}).innerText || '',
  scripts: document.scripts.length,
  overflow: document.documentElement.scrollWidth > window.innerWidth + 1,
  scenarios: [...document.querySelectorAll('section[data-scenario]')].map(s => ({
    name: s.dataset.scenario,
    charts: [...s.querySelectorAll('svg.pg-chart')].map(svg => {
      const r = svg.getBoundingClientRect();
      const dots = [...svg.querySelectorAll('circle')];
      return {
        title: (svg.querySelector('title') || {}).textContent || '',
        points: +svg.dataset.points,
        dots: dots.length,
        tips: dots.filter(d => ((d.querySelector('title') || {}).textContent || '') !== '').length,
        width: r.width, height: r.height,
        lineLen: [...svg.querySelectorAll('path.pg-line')].reduce((a, p) => a + p.getTotalLength(), 0),
      };
    }),
  })),
}))()`

// load opens the page file in headless Chromium, reads its state and the
// console (calls, exceptions, browser log: a blocked fetch is logged
// there), and saves a full-page screenshot as shot.
func load(t *testing.T, bin, file, shot string) (pageState, []chromedp.ConsoleMessage) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-gpu", true))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with its sandbox
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	if err := chromedp.Do(bctx); err != nil { // start the browser
		t.Fatalf("starting %s: %v", bin, err)
	}

	sub, stopConsole := context.WithCancel(bctx)
	var (
		mu       sync.Mutex
		messages []chromedp.ConsoleMessage
		wg       sync.WaitGroup
	)
	console := chromedp.Console(sub)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for m, err := range console {
			if err != nil {
				return
			}
			mu.Lock()
			messages = append(messages, m)
			mu.Unlock()
		}
	}()

	if err := chromedp.Do(bctx, chromedp.Navigate("file://"+file), chromedp.WaitReady(chromedp.CSS("footer"))); err != nil {
		t.Fatalf("loading %s: %v", file, err)
	}
	state, err := chromedp.Run(bctx, chromedp.Evaluate[pageState](readPage))
	if err != nil {
		t.Fatalf("reading the page: %v", err)
	}
	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
	if keep := os.Getenv("PERFGATE_HTML_SCREENSHOTS"); keep != "" {
		// A place outside the test's temp dir, to look at it afterwards.
		if err := os.WriteFile(filepath.Join(keep, filepath.Base(shot)), png, 0o644); err != nil {
			t.Logf("keeping the screenshot: %v", err)
		}
	}
	stopConsole()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	return state, append([]chromedp.ConsoleMessage(nil), messages...)
}

func TestBrowser(t *testing.T) {
	bin := chromium(t)
	tests := []struct {
		name      string
		res       func(t *testing.T) *results.Results
		inject    string // appended to the page before </main>: must be caught
		scenarios []string
		charts    int
		verdict   string
		errors    bool // console errors expected
	}{
		{name: "quickstart", res: quickstart, scenarios: []string{"signup", "health"}, charts: 3, verdict: "NO BASELINE"},
		{name: "paired", res: func(t *testing.T) *results.Results { return resultstest.PairedSession(t, evilName) }, scenarios: []string{evilName, "health"}, charts: 4, verdict: "FAIL"},
		{name: "stored baseline", res: storedQuickstart, scenarios: []string{"signup", "health"}, charts: 3, verdict: "FAIL"},
		{name: "a fetch is blocked and logged", res: quickstart, inject: `<img src="http://127.0.0.1:9/x.png" alt="">`,
			scenarios: []string{"signup", "health"}, charts: 3, verdict: "NO BASELINE", errors: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var buf bytes.Buffer
			if err := Write(&buf, tt.res(t)); err != nil {
				t.Fatal(err)
			}
			page := buf.String()
			if tt.inject != "" {
				page = strings.Replace(page, "</main>", tt.inject+"</main>", 1)
			}
			file := filepath.Join(dir, "report.html")
			if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
				t.Fatal(err)
			}
			state, console := load(t, bin, file, filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".png"))

			var errs []string
			for _, m := range console {
				if m.Type == chromedp.ConsoleError || m.IsException() {
					errs = append(errs, m.String())
				}
			}
			if tt.errors && len(errs) == 0 {
				t.Errorf("no console error for %s; console: %v", tt.inject, console)
			}
			if !tt.errors && len(errs) > 0 {
				t.Errorf("console errors: %v", errs)
			}
			if !strings.Contains(state.Verdict, tt.verdict) {
				t.Errorf("verdict %q, want it to say %q", state.Verdict, tt.verdict)
			}
			if state.Scripts != 0 {
				t.Errorf("%d scripts in the page", state.Scripts)
			}
			if state.Overflow {
				t.Error("the page is wider than a 1280 px window")
			}
			if len(state.Scenarios) != len(tt.scenarios) {
				t.Fatalf("%d scenario sections, want %d", len(state.Scenarios), len(tt.scenarios))
			}
			for i, sc := range state.Scenarios {
				if sc.Name != tt.scenarios[i] {
					t.Errorf("section %d is %q, want %q", i, sc.Name, tt.scenarios[i])
				}
				if len(sc.Charts) != tt.charts {
					t.Errorf("%q: %d charts, want %d", sc.Name, len(sc.Charts), tt.charts)
				}
				for _, c := range sc.Charts {
					if c.Points == 0 || c.Dots != c.Points || c.Tips != c.Dots {
						t.Errorf("%q / %q: %d points, %d dots, %d tooltips", sc.Name, c.Title, c.Points, c.Dots, c.Tips)
					}
					if c.Width < 300 || c.Height < 100 || c.LineLen <= 0 {
						t.Errorf("%q / %q: laid out %.0f×%.0f px, lines %.0f px long", sc.Name, c.Title, c.Width, c.Height, c.LineLen)
					}
				}
			}
		})
	}
}
