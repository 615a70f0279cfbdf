// Package num formats perfgate's numbers: percentages, percentage points,
// signed changes, p-values and plain figures. It is the one place these
// formats are defined: compare uses it for the notes and rules it writes,
// report and publish for everything they render.
package num

import (
	"fmt"
	"math"
	"strconv"
)

// Percent formats a fraction as a percentage. With dec ≥ 0 it has exactly
// dec decimals (Percent(0.03, 2) = "3.00%", for table columns); with dec < 0
// it has at most two, trailing zeros dropped (Percent(0.125, -1) = "12.5%",
// Percent(0.05, -1) = "5%", for prose and rules).
func Percent(f float64, dec int) string { return scaled(f, dec) + "%" }

// Points formats an absolute difference of rates in percentage points, with
// decimals as in Percent: Points(0.005, -1) = "0.5pp".
func Points(f float64, dec int) string { return scaled(f, dec) + "pp" }

func scaled(f float64, dec int) string {
	if dec < 0 {
		return strconv.FormatFloat(noNegZero(math.Round(f*1e4)/1e2), 'f', -1, 64)
	}
	return strconv.FormatFloat(noNegZero(f*100), 'f', dec, 64)
}

// Signed formats a change with its sign: a relative one as "+1.2%", an
// absolute one (error rate) as "+0.50pp".
func Signed(f float64, absolute bool) string {
	f = noNegZero(f)
	if absolute {
		return fmt.Sprintf("%+.2fpp", f*100)
	}
	return fmt.Sprintf("%+.1f%%", f*100)
}

// PValue formats a p-value with three decimals ("0.008"), "<0.001" below.
func PValue(p float64) string {
	if p < 0.001 {
		return "<0.001"
	}
	return strconv.FormatFloat(p, 'f', 3, 64)
}

// Value formats a figure (milliseconds, requests per second) with about
// three significant digits: 123 → "123", 12.34 → "12.3", 1.234 → "1.23".
func Value(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

// noNegZero maps -0 (and anything that rounds to it) to 0.
func noNegZero(f float64) float64 {
	if f == 0 {
		return 0
	}
	return f
}
