//go:build unix

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// requirePG is set by scripts/test.sh (which installs PostgreSQL): there a
// missing PostgreSQL fails the tests instead of skipping them.
const requirePG = "PERFGATE_REQUIRE_POSTGRES"

// pgServer is a throwaway PostgreSQL started by examples/quickstart/postgres.sh.
type pgServer struct {
	cmd  *exec.Cmd
	port int
	log  *syncBuf
	done chan struct{}
}

// startPG starts a server of its own for one test (with env added to
// postgres.sh's environment) and stops it at cleanup. It skips the test
// when PostgreSQL is not installed (fails under requirePG).
func startPG(t testing.TB, env ...string) *pgServer {
	t.Helper()
	skipWithoutPG(t)
	p, err := launchPG(env...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	return p
}

func skipWithoutPG(t testing.TB) {
	t.Helper()
	if havePG() {
		return
	}
	msg := "PostgreSQL's initdb/postgres not found in /usr/lib/postgresql/*/bin or PG_BIN: apt-get install postgresql to run the PostgreSQL tests"
	if os.Getenv(requirePG) != "" {
		t.Fatal(msg + " (" + requirePG + " is set)")
	}
	t.Skip(msg)
}

// launchPG starts examples/quickstart/postgres.sh on a free port and
// waits until it accepts connections; the caller stops it.
func launchPG(env ...string) (*pgServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	p := &pgServer{port: port, log: &syncBuf{}, done: make(chan struct{})}
	p.cmd = exec.Command("bash", filepath.Join("..", "quickstart", "postgres.sh"), fmt.Sprint(port))
	p.cmd.Env = append(os.Environ(), env...)
	pr, pw := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	ready := make(chan struct{})
	go func() {
		var once sync.Once
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			fmt.Fprintln(p.log, sc.Text())
			if strings.Contains(sc.Text(), "database system is ready to accept connections") {
				once.Do(func() { close(ready) })
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	go func() { _ = p.cmd.Wait(); pw.Close(); close(p.done) }()
	select {
	case <-ready:
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("postgres.sh exited before it was ready:\n%s", p.log)
	case <-time.After(60 * time.Second):
		p.stop()
		return nil, fmt.Errorf("PostgreSQL not ready within 60s:\n%s", p.log)
	}
}

// stop sends SIGTERM (as perfgate does) and waits; SIGKILL to the group
// after 20 s.
func (p *pgServer) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// dsn is the connection string of database db on this server.
func (p *pgServer) dsn(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.port, db)
}

var dbSeq atomic.Int64

// freshDB creates an empty database and returns its connection string.
func (p *pgServer) freshDB(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, p.dsn("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbSeq.Add(1))
	if _, err := c.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	return p.dsn(name)
}

// countRows counts the users in the database at dsn.
func countRows(t testing.TB, dsn string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM users").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func havePG() bool {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	if b := os.Getenv("PG_BIN"); b != "" {
		dirs = []string{b}
	}
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return true
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return isExec(filepath.Join(filepath.Dir(p), "postgres"))
	}
	return false
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode()&0o111 != 0
}

// shared is one PostgreSQL for this test binary's store tests (each test
// takes a fresh database in it), started on first use, stopped by TestMain.
var shared struct {
	once sync.Once
	srv  *pgServer
	err  error
}

func sharedPG(t *testing.T) *pgServer {
	t.Helper()
	skipWithoutPG(t)
	shared.once.Do(func() { shared.srv, shared.err = launchPG() })
	if shared.err != nil {
		t.Fatal("starting the shared PostgreSQL: ", shared.err)
	}
	return shared.srv
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.srv != nil {
		shared.srv.stop()
	}
	os.Exit(code)
}
