package compare

import (
	"math"
	"sort"
)

// exactLimit is the largest sample size for which the null distribution of
// the Mann-Whitney U statistic is computed exactly; beyond it the normal
// approximation is used.
const exactLimit = 50

// minPValue is the smallest two-sided p-value the Mann-Whitney U test can
// give with n1 and n2 samples and no ties: every value of one sample below
// every value of the other, 2/C(n1+n2, n1). If it exceeds alpha, no data
// whatsoever can make a change significant.
func minPValue(n1, n2 int) float64 {
	if n1 <= 0 || n2 <= 0 {
		return 1
	}
	// 1/C(n1+n2, n1) = prod_{i=1..k} i/(n-k+i) with k = min(n1,n2).
	k := min(n1, n2)
	n := n1 + n2
	p := 1.0
	for i := 1; i <= k; i++ {
		p *= float64(i) / float64(n-k+i)
	}
	return math.Min(1, 2*p)
}

// canReach reports whether n1+n2 samples can reach significance at alpha.
func canReach(n1, n2 int, alpha float64) bool {
	return minPValue(n1, n2) <= alpha*(1+1e-9)
}

// runsNeeded returns the smallest n2 ≥ 1 (up to limit) such that n1+n2 can
// reach alpha, or 0 if none does.
func runsNeeded(n1 int, alpha float64, limit int) int {
	for n2 := 1; n2 <= limit; n2++ {
		if canReach(n1, n2, alpha) {
			return n2
		}
	}
	return 0
}

// uCDF returns P(U ≤ u) for u = 0..maxU under the null hypothesis, with
// sample sizes n1 and n2 and no ties, computed exactly by the recurrence
// c(m, n, u) = c(m-1, n, u-n) + c(m, n-1, u), normalised by C(n1+n2, n1).
func uCDF(n1, n2, maxU int) []float64 {
	if maxU > n1*n2 {
		maxU = n1 * n2
	}
	width := maxU + 1
	// prev[n][u] holds c(m-1, n, u); cur[n][u] holds c(m, n, u).
	prev := make([][]float64, n2+1)
	cur := make([][]float64, n2+1)
	for n := range prev {
		prev[n] = make([]float64, width)
		cur[n] = make([]float64, width)
		prev[n][0] = 1 // m = 0: one arrangement, U = 0
	}
	for m := 1; m <= n1; m++ {
		for n := 0; n <= n2; n++ {
			row := cur[n]
			for u := range row {
				row[u] = 0
			}
			if n == 0 {
				row[0] = 1
				continue
			}
			left := cur[n-1]
			up := prev[n]
			for u := 0; u < width; u++ {
				v := left[u]
				if u >= n {
					v += up[u-n]
				}
				row[u] = v
			}
		}
		prev, cur = cur, prev
	}
	counts := prev[n2]
	total := math.Exp(lchoose(n1+n2, n1))
	cdf := make([]float64, width)
	acc := 0.0
	for u, c := range counts {
		acc += c
		cdf[u] = math.Min(1, acc/total)
	}
	return cdf
}

func lchoose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

// ciRank returns k (1-based) such that the k-th smallest and k-th largest of
// the n1·n2 pairwise differences bound a distribution-free confidence
// interval for the shift between two samples (the interval that inverts the
// Mann-Whitney test), together with its actual confidence level. k is the
// largest value with 2·P(U ≤ k-1) ≤ 1-confidence; when even k = 1 (the
// extremes) cannot reach the level, k = 1 and the lower actual level is
// returned.
func ciRank(n1, n2 int, confidence float64) (k int, actual float64) {
	tail := (1 - confidence) / 2
	mn := n1 * n2
	if n1 <= exactLimit && n2 <= exactLimit {
		cdf := uCDF(n1, n2, mn/2)
		u := -1 // the largest u with P(U ≤ u) ≤ tail
		for u+1 < len(cdf) && cdf[u+1] <= tail*(1+1e-9) {
			u++
		}
		if u < 0 {
			return 1, math.Max(0, 1-2*cdf[0])
		}
		return u + 1, 1 - 2*cdf[u]
	}
	// Normal approximation with continuity correction.
	z := normalQuantile(1 - tail)
	mean := float64(mn) / 2
	sd := math.Sqrt(float64(mn) * float64(n1+n2+1) / 12)
	k = int(math.Floor(mean-z*sd-0.5)) + 1
	if k < 1 {
		k = 1
	}
	return k, confidence
}

// normalQuantile is the inverse CDF of the standard normal distribution.
func normalQuantile(p float64) float64 { return math.Sqrt2 * math.Erfinv(2*p-1) }

// shiftCI returns the bounds of the distribution-free confidence interval
// of the shift from xs to ys, where the shift of a pair is diff(x, y) (e.g.
// y-x, or y/x for a ratio): the k-th smallest and k-th largest of the
// pairwise shifts, k from ciRank.
func shiftCI(xs, ys []float64, k int, diff func(x, y float64) float64) (lo, hi float64) {
	d := make([]float64, 0, len(xs)*len(ys))
	for _, x := range xs {
		for _, y := range ys {
			d = append(d, diff(x, y))
		}
	}
	sort.Float64s(d)
	if k > len(d) {
		k = len(d)
	}
	if k < 1 {
		k = 1
	}
	return d[k-1], d[len(d)-k]
}
