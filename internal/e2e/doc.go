// Package e2e holds perfgate's Docker end-to-end tests: the real CLI
// (in process, through internal/cli/clitest) runs examples/auth-stack —
// nginx in front of two auth services, in containers — and the tests check
// what a user sees: exit codes, the results file, the services' last words
// when one dies, and that nothing labelled perfgate is left in Docker.
// One test needs no Docker: a paired run on go-httpbin, a third-party
// service vendored into a small main package and run as a process, whose
// CPU profile diff must name the one vendored function the head changes;
// it skips when the module can be had neither from the module cache nor
// from the module proxy.
//
// Docker is required when the CI environment variable is set (the tests
// fail without it); otherwise they skip with the reason. Set
// TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1 (and TESTCONTAINERS_RYUK_DISABLED=true
// where the reaper image cannot be pulled), as scripts/test.sh does.
package e2e
