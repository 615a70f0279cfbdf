// Package shard is the arithmetic of a sharded run: `perfgate run --shard
// I/N` makes shard I (0 ≤ I < N) of N of the configured load, so that N
// processes, on one machine or many, together make exactly the load one
// process would.
//
//   - Open model: the configured rate defines arrival slots k = 0, 1, 2, …
//     due at t0 + k/rate. Slot k belongs to shard k mod N, so every shard
//     keeps the full rate's schedule and sends every N-th slot: together
//     the shards send every slot once, at its own due time (Share and
//     Global). The scenario mix is chosen by the global slot number, so the
//     mix over all shards is the configured one.
//   - Closed model: the workers are split, the remainder going to the low
//     indices (10 workers over 4 shards: 3, 3, 2, 2); a request bound is
//     split the same way (Workers, Share).
//   - Template seq values are disjoint across shards: the shard's k-th
//     value (k = 1, 2, …) is (k-1)·N + I + 1, so shard 0 of 4 draws 1, 5,
//     9, … and shard 3 draws 4, 8, 12, … (Seq).
//   - Data-file rows: row r belongs to shard r mod N (Owns).
//
// The zero Spec (and 0/1) is an unsharded run: every function is then the
// identity.
package shard

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxCount bounds N: more shards than this is a typo, not a load test.
const MaxCount = 10000

// Spec is shard Index of Count.
type Spec struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// Parse reads "I/N" (e.g. "0/4"; 0 ≤ I < N ≤ MaxCount).
func Parse(s string) (Spec, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Spec{}, fmt.Errorf("--shard %q: want I/N, the shard's index from 0 and the number of shards, e.g. 0/4", s)
	}
	idx, err1 := strconv.Atoi(strings.TrimSpace(i))
	cnt, err2 := strconv.Atoi(strings.TrimSpace(n))
	if err1 != nil || err2 != nil {
		return Spec{}, fmt.Errorf("--shard %q: I and N must be whole numbers, e.g. 0/4", s)
	}
	sp := Spec{Index: idx, Count: cnt}
	if err := sp.Valid(); err != nil || cnt == 0 {
		if err == nil {
			err = fmt.Errorf("the number of shards must be between 1 and %d, got 0", MaxCount)
		}
		return Spec{}, fmt.Errorf("--shard %q: %w", s, err)
	}
	return sp, nil
}

// Valid checks 0 ≤ Index < Count ≤ MaxCount (the zero Spec is valid).
func (s Spec) Valid() error {
	if s == (Spec{}) {
		return nil
	}
	switch {
	case s.Count < 1 || s.Count > MaxCount:
		return fmt.Errorf("the number of shards must be between 1 and %d, got %d", MaxCount, s.Count)
	case s.Index < 0 || s.Index >= s.Count:
		return fmt.Errorf("the shard index counts from 0 and must be below the number of shards %d, got %d (JOB_COMPLETION_INDEX and matrix indices start at 0)", s.Count, s.Index)
	}
	return nil
}

// Sharded reports whether the load is split (N > 1).
func (s Spec) Sharded() bool { return s.Count > 1 }

func (s Spec) String() string {
	if s.Count == 0 {
		return "0/1"
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

func (s Spec) n() int64 { return int64(max(s.Count, 1)) }

// Share is how many of the slots 0 … total-1 belong to this shard (those k
// with k mod N = I). Summed over every shard it is total.
func (s Spec) Share(total int64) int64 {
	if total <= int64(s.Index) {
		return 0
	}
	return (total - int64(s.Index) + s.n() - 1) / s.n()
}

// Global is the global slot number of this shard's local-th slot (from 0).
func (s Spec) Global(local int64) int64 { return local*s.n() + int64(s.Index) }

// Workers is this shard's part of total workers: total/N, one more for the
// first total mod N shards.
func (s Spec) Workers(total int) int {
	n := int(s.n())
	w := total / n
	if s.Index < total%n {
		w++
	}
	return w
}

// Seq maps the shard's local sequence number k (1, 2, …) to its global
// one, (k-1)·N + I + 1: disjoint across shards, 1, 2, 3, … over all of them.
func (s Spec) Seq(k int64) int64 { return (k-1)*s.n() + int64(s.Index) + 1 }

// Owns reports whether data-file row r (from 0) is this shard's: rows are
// dealt out like slots, r mod N = I. flow.Rows applies the same rule (the
// runner hands it the shard as flow.Shard), so shards never send the same
// row.
func (s Spec) Owns(r int64) bool { return r%s.n() == int64(s.Index) }
