package shard

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Spec
		wantErr string
	}{
		{"0/4", Spec{0, 4}, ""},
		{" 3/4 ", Spec{3, 4}, ""},
		{"0/1", Spec{0, 1}, ""},
		{"4/4", Spec{}, "below the number of shards"},
		{"-1/4", Spec{}, "below the number of shards"},
		{"0/0", Spec{}, "between 1 and"},
		{"0/10001", Spec{}, "between 1 and"},
		{"1", Spec{}, "want I/N"},
		{"a/4", Spec{}, "whole numbers"},
		{"1/b", Spec{}, "whole numbers"},
		{"", Spec{}, "want I/N"},
	} {
		got, err := Parse(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Parse(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		count   int
		total   int64 // slots
		workers int
		shares  []int64
		wsplit  []int
	}{
		{1, 10, 7, []int64{10}, []int{7}},
		{4, 10, 10, []int64{3, 3, 2, 2}, []int{3, 3, 2, 2}},
		{4, 12, 8, []int64{3, 3, 3, 3}, []int{2, 2, 2, 2}},
		{4, 2, 2, []int64{1, 1, 0, 0}, []int{1, 1, 0, 0}},
		{3, 0, 1, []int64{0, 0, 0}, []int{1, 0, 0}},
		{4, 1200, 401, []int64{300, 300, 300, 300}, []int{101, 100, 100, 100}},
		{7, 1001, 13, []int64{143, 143, 143, 143, 143, 143, 143}, []int{2, 2, 2, 2, 2, 2, 1}},
	} {
		seen := map[int64]int{}
		var sumW int
		var sumS int64
		for i := range tc.count {
			s := Spec{i, tc.count}
			if got := s.Share(tc.total); got != tc.shares[i] {
				t.Errorf("%v Share(%d) = %d, want %d", s, tc.total, got, tc.shares[i])
			}
			if got := s.Workers(tc.workers); got != tc.wsplit[i] {
				t.Errorf("%v Workers(%d) = %d, want %d", s, tc.workers, got, tc.wsplit[i])
			}
			sumW += s.Workers(tc.workers)
			sumS += s.Share(tc.total)
			for k := range s.Share(tc.total) {
				g := s.Global(k)
				if g < 0 || g >= tc.total {
					t.Errorf("%v Global(%d) = %d outside [0, %d)", s, k, g, tc.total)
				}
				seen[g]++
				if !s.Owns(g) {
					t.Errorf("%v does not own its own slot %d", s, g)
				}
			}
		}
		if sumW != tc.workers || sumS != tc.total {
			t.Errorf("N=%d: workers sum %d (want %d), shares sum %d (want %d)", tc.count, sumW, tc.workers, sumS, tc.total)
		}
		for g := range tc.total {
			if seen[g] != 1 {
				t.Errorf("N=%d: slot %d sent %d times, want once", tc.count, g, seen[g])
			}
		}
	}
}

func TestSeqDisjoint(t *testing.T) {
	for _, tc := range []struct {
		count int
		first []int64 // shard i's first value
	}{
		{1, []int64{1}},
		{4, []int64{1, 2, 3, 4}},
		{3, []int64{1, 2, 3}},
	} {
		seen := map[int64]bool{}
		for i := range tc.count {
			s := Spec{i, tc.count}
			if s.Seq(1) != tc.first[i] {
				t.Errorf("%v Seq(1) = %d, want %d", s, s.Seq(1), tc.first[i])
			}
			for k := int64(1); k <= 100; k++ {
				v := s.Seq(k)
				if seen[v] {
					t.Fatalf("N=%d: seq %d drawn twice", tc.count, v)
				}
				seen[v] = true
			}
		}
		for v := int64(1); v <= int64(100*tc.count); v++ {
			if !seen[v] {
				t.Errorf("N=%d: seq %d never drawn", tc.count, v)
			}
		}
	}
	if (Spec{}).Seq(7) != 7 || (Spec{}).Global(5) != 5 || (Spec{}).Share(9) != 9 || (Spec{}).Workers(3) != 3 {
		t.Error("the zero Spec must be the identity")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"0/4", "3/4", "x", "1/0", "-1/-1", "9999/10000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := Parse(s)
		if err != nil {
			return
		}
		if sp.Valid() != nil || sp.Index < 0 || sp.Index >= sp.Count {
			t.Fatalf("Parse(%q) = %v accepted an invalid spec", s, sp)
		}
	})
}
