package e2e_test

import (
	"bufio"
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/results"
)

// stoppedRe is the auth service's last line: with -store postgres, N is
// SELECT count(*) FROM users in the stack's database.
var stoppedRe = regexp.MustCompile(`auth-service stopped \((\d+) users held\)`)

// TestAuthStackRowsMatch200s: after `perfgate run` on the auth-stack, the
// stack's PostgreSQL holds one row per signup answered 200 — warm-up and
// measured passes, through nginx to either auth server. The count is the
// one auth1 reads from the database as it shuts down (after the load, the
// database still up: it stops last), followed in auth1's log from the
// test's own Docker client, since the containers are gone once perfgate
// returns.
func TestAuthStackRowsMatch200s(t *testing.T) {
	requireDocker(t)
	dir := authStack(t)
	cfg := writeConfig(t, dir, "e2e-rows.yaml", shortLoad)
	cli := docker(t)
	assertClean(t, cli)

	out := filepath.Join(t.TempDir(), "results.json")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	done := make(chan clitest.Result, 1)
	go func() { done <- clitest.Run(t, ctx, nil, "run", "-c", cfg, "--out", out) }()
	auth1, _, early, err := waitForStack(ctx, cli, done)
	if err != nil {
		cancel()
		r := early
		if r == nil {
			rr := <-done
			r = &rr
		}
		t.Fatalf("%v\nperfgate: exit %d (%v)\nstdout:\n%s\nstderr:\n%s", err, r.Code, r.Err, r.Out, r.ErrOut)
	}
	// The whole log from the start, followed until the container stops.
	logs, err := cli.ContainerLogs(ctx, auth1, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: true})
	if err != nil {
		t.Fatalf("following auth1's log: %v", err)
	}
	held := make(chan int64, 1)
	go func() {
		defer logs.Close()
		n := int64(-1)
		sc := bufio.NewScanner(logs) // multiplexed frames: the text is still line by line
		for sc.Scan() {
			if m := stoppedRe.FindStringSubmatch(sc.Text()); m != nil {
				n, _ = strconv.ParseInt(m[1], 10, 64)
			}
		}
		held <- n
	}()
	r := <-done
	if r.Code != 0 {
		t.Fatalf("perfgate run: exit %d (%v)\nstdout:\n%s\nstderr:\n%s", r.Code, r.Err, r.Out, r.ErrOut)
	}
	var rows int64
	select {
	case rows = <-held:
	case <-time.After(30 * time.Second):
		t.Fatal("auth1's log did not end within 30 s of perfgate's return")
	}
	res, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	var ok200 int64
	for _, sc := range append(append([]results.Scenario{}, res.Warmup...), res.Scenarios...) {
		if sc.Name == "signup" {
			ok200 += sc.StatusCounts["200"]
		}
	}
	if rows < 0 {
		t.Fatal(`auth1 never logged "auth-service stopped (N users held)"`)
	}
	if ok200 == 0 || rows != ok200 {
		t.Fatalf("%d rows in the stack's PostgreSQL, %d signups answered 200", rows, ok200)
	}
	t.Logf("%d signups answered 200, %d rows in PostgreSQL", ok200, rows)
}
