package compare

import (
	"math"
	"testing"
)

// enumerateU returns the null distribution of U (counts per value) for
// sizes n1, n2 by enumerating every way to choose which n1 of the n1+n2
// ranks belong to the first sample. U counts pairs (x, y) with y < x.
func enumerateU(n1, n2 int) []float64 {
	counts := make([]float64, n1*n2+1)
	n := n1 + n2
	for mask := 0; mask < 1<<n; mask++ {
		if popcount(mask) != n1 {
			continue
		}
		u, ys := 0, 0
		for r := 0; r < n; r++ { // ranks in ascending order
			if mask&(1<<r) != 0 {
				u += ys // this x is above every y seen so far
			} else {
				ys++
			}
		}
		counts[u]++
	}
	return counts
}

func popcount(x int) int {
	c := 0
	for ; x != 0; x &= x - 1 {
		c++
	}
	return c
}

func TestUCDFMatchesEnumeration(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {1, 5}, {2, 3}, {3, 3}, {4, 4}, {3, 7}, {5, 5}, {6, 4}, {7, 8}} {
		n1, n2 := sz[0], sz[1]
		counts := enumerateU(n1, n2)
		total := 0.0
		for _, c := range counts {
			total += c
		}
		got := uCDF(n1, n2, n1*n2)
		acc := 0.0
		for u, c := range counts {
			acc += c
			if want := acc / total; math.Abs(got[u]-want) > 1e-12 {
				t.Errorf("uCDF(%d,%d)[%d] = %v, want %v", n1, n2, u, got[u], want)
			}
		}
	}
}

func TestMinPValue(t *testing.T) {
	// 2/C(n1+n2, n1), and whether alpha 0.05 is reachable.
	tests := []struct {
		n1, n2 int
		want   float64
		reach  bool
	}{
		{1, 1, 1, false},
		{2, 2, 2.0 / 6, false},
		{3, 3, 0.1, false},
		{3, 4, 2.0 / 35, false},
		{3, 5, 2.0 / 56, true},
		{4, 4, 2.0 / 70, true},
		{5, 5, 2.0 / 252, true},
		{2, 7, 2.0 / 36, false},
		{2, 8, 2.0 / 45, true},
		{3, 7, 2.0 / 120, true},
		{1, 38, 2.0 / 39, false},
		{1, 39, 0.05, true}, // exactly alpha: reachable (p ≤ alpha)
		{0, 5, 1, false},
	}
	for _, tt := range tests {
		got := minPValue(tt.n1, tt.n2)
		if math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("minPValue(%d,%d) = %v, want %v", tt.n1, tt.n2, got, tt.want)
		}
		if r := canReach(tt.n1, tt.n2, 0.05); r != tt.reach {
			t.Errorf("canReach(%d,%d,0.05) = %v, want %v", tt.n1, tt.n2, r, tt.reach)
		}
		if got2 := minPValue(tt.n2, tt.n1); math.Abs(got2-got) > 1e-12 {
			t.Errorf("minPValue not symmetric for %d,%d", tt.n1, tt.n2)
		}
	}
	if n := runsNeeded(3, 0.05, 100); n != 5 {
		t.Errorf("runsNeeded(3) = %d, want 5", n)
	}
	if n := runsNeeded(1, 0.05, 10); n != 0 {
		t.Errorf("runsNeeded(1, limit 10) = %d, want 0", n)
	}
}

func TestCIRank(t *testing.T) {
	// Published critical values of the two-sided Mann-Whitney test at 0.05
	// (U ≤ critical rejects): 5,5 → 2; 4,4 → 0; 6,6 → 5; 8,8 → 13;
	// 10,10 → 23. The interval uses order k = critical+1.
	tests := []struct {
		n1, n2 int
		k      int
	}{{4, 4, 1}, {5, 5, 3}, {6, 6, 6}, {8, 8, 14}, {10, 10, 24}, {3, 5, 1}}
	for _, tt := range tests {
		k, conf := ciRank(tt.n1, tt.n2, 0.95)
		if k != tt.k {
			t.Errorf("ciRank(%d,%d) k = %d, want %d", tt.n1, tt.n2, k, tt.k)
		}
		if conf < 0.95 || conf > 1 {
			t.Errorf("ciRank(%d,%d) confidence %v, want ≥ 0.95", tt.n1, tt.n2, conf)
		}
	}
	// 5+5: P(U ≤ 2) = 4/252, so the level is 1 - 8/252.
	if _, conf := ciRank(5, 5, 0.95); math.Abs(conf-(1-8.0/252)) > 1e-12 {
		t.Errorf("5+5 confidence = %v", conf)
	}
	// 3+3 cannot reach 95%: the extremes, at 1 - 2/20 = 90%.
	if k, conf := ciRank(3, 3, 0.95); k != 1 || math.Abs(conf-0.9) > 1e-12 {
		t.Errorf("3+3: k=%d conf=%v, want 1, 0.9", k, conf)
	}
	// Beyond the exact limit the normal approximation is close to exact.
	kExact, _ := ciRank(50, 50, 0.95)
	kApprox, _ := func() (int, float64) {
		z := normalQuantile(0.975)
		mn := 2500.0
		sd := math.Sqrt(mn * 101 / 12)
		return int(math.Floor(mn/2-z*sd-0.5)) + 1, 0
	}()
	if d := kExact - kApprox; d < -2 || d > 2 {
		t.Errorf("50+50: exact k %d vs normal k %d", kExact, kApprox)
	}
	if k, _ := ciRank(60, 60, 0.95); k < 1 || k > 1800 {
		t.Errorf("60+60: k=%d", k)
	}
}

func TestShiftCI(t *testing.T) {
	xs := []float64{100, 101, 102, 103, 104}
	ys := []float64{75, 76, 77, 78, 79}
	k, conf := ciRank(5, 5, 0.95)
	lo, hi := shiftCI(xs, ys, k, func(x, y float64) float64 { return y - x })
	// Differences y-x range over -29..-21; with k=3 the interval is the 3rd
	// smallest and 3rd largest: sorted diffs start -29,-28,-28,... and end
	// ...,-22,-22,-21.
	if lo != -28 || hi != -22 {
		t.Errorf("CI = [%v, %v], want [-28, -22]", lo, hi)
	}
	if conf < 0.95 {
		t.Errorf("confidence %v", conf)
	}
}
