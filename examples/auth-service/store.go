package main

import (
	"context"
	"crypto/sha256"
	"hash/maphash"
	"sync"
)

// Store keeps the users. Add reports false for a userId that exists; Get
// reports false for one that does not. Errors are the store's own
// (a database that went away), answered 503.
type Store interface {
	Add(ctx context.Context, id string, rec Record) (bool, error)
	Get(ctx context.Context, id string) (Record, bool, error)
	// Count is the number of users held.
	Count(ctx context.Context) (int, error)
	// Ping reports whether the store can serve (the /health check).
	Ping(ctx context.Context) error
	Close()
}

// Record is what a store keeps of a user: never the password itself, only
// its hash (see hashPassword).
type Record struct {
	UserName, Email string
	PwHash          [sha256.Size]byte
}

// shards splits the memory store so that concurrent requests rarely share
// a lock.
const shards = 64

// memStore is the -store memory backend: 64 locked, bounded shards.
type memStore struct {
	seed  maphash.Seed
	shard [shards]shard
}

// shard is a bounded map; when full, the oldest user of the shard is
// evicted (FIFO), so memory stays bounded however long a load runs.
type shard struct {
	mu    sync.Mutex
	users map[string]Record
	order []string // ring of ids in insertion order
	head  int      // oldest entry once the ring is full
	max   int
}

// newMemStore keeps at most maxUsers users (at least one per shard).
func newMemStore(maxUsers int) *memStore {
	m := &memStore{seed: maphash.MakeSeed()}
	per := max(1, (maxUsers+shards-1)/shards)
	for i := range m.shard {
		m.shard[i].users = map[string]Record{}
		m.shard[i].max = per
	}
	return m
}

func (m *memStore) shardFor(id string) *shard {
	return &m.shard[maphash.String(m.seed, id)%shards]
}

func (m *memStore) Add(_ context.Context, id string, rec Record) (bool, error) {
	return m.shardFor(id).add(id, rec), nil
}

func (m *memStore) Get(_ context.Context, id string) (Record, bool, error) {
	rec, ok := m.shardFor(id).get(id)
	return rec, ok, nil
}

func (m *memStore) Count(context.Context) (int, error) {
	n := 0
	for i := range m.shard {
		m.shard[i].mu.Lock()
		n += len(m.shard[i].users)
		m.shard[i].mu.Unlock()
	}
	return n, nil
}

func (m *memStore) Ping(context.Context) error { return nil }
func (m *memStore) Close()                     {}

// add stores rec unless id exists; it evicts the oldest user when full.
func (sh *shard) add(id string, rec Record) bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, dup := sh.users[id]; dup {
		return false
	}
	if len(sh.order) < sh.max {
		sh.order = append(sh.order, id)
	} else {
		delete(sh.users, sh.order[sh.head])
		sh.order[sh.head] = id
		sh.head = (sh.head + 1) % sh.max
	}
	sh.users[id] = rec
	return true
}

func (sh *shard) get(id string) (Record, bool) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	rec, ok := sh.users[id]
	return rec, ok
}
