package main

import (
	"context"
	"io"
	"net/http"
	"testing"
)

func TestExtraHashSpendsRounds(t *testing.T) {
	var seed [32]byte
	if extraHash(seed, 0) == extraHash([32]byte{1}, 0) {
		t.Fatal("the seed is ignored")
	}
	if extraHash([32]byte{1}, 10) == extraHash([32]byte{1}, 11) {
		t.Fatal("the rounds are ignored")
	}
}

func TestServePprof(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, err := servePprof(ctx, "127.0.0.1:0", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/profile?seconds=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	// A CPU profile is gzipped protobuf.
	if resp.StatusCode != 200 || len(body) < 2 || body[0] != 0x1f || body[1] != 0x8b {
		t.Fatalf("HTTP %d, %d bytes: not a gzipped profile", resp.StatusCode, len(body))
	}
	if _, err := servePprof(ctx, addr, io.Discard); err == nil {
		t.Fatal("a second listener on the same address: want an error")
	}
}
