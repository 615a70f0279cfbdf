package compare

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/results"
)

// BenchmarkJudge measures a comparison of 10 scenarios at several run
// counts; values are drawn with ties (rounded), as error rates often are.
func BenchmarkJudge(b *testing.B) {
	for _, runs := range []int{5, 20, 50} {
		b.Run(fmt.Sprintf("runs=%d", runs), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, 4))
			draw := func() []float64 {
				out := make([]float64, runs)
				for i := range out {
					out[i] = float64(int(1000 + 30*rng.Float64()))
				}
				return out
			}
			var bs, cs []results.Scenario
			for i := 0; i < 10; i++ {
				name := fmt.Sprintf("s%d", i)
				bs = append(bs, scen(name, 0, draw()...))
				cs = append(cs, scen(name, 0, draw()...))
			}
			base := base(bs...)
			cur := run(cs...)
			b.ResetTimer()
			for b.Loop() {
				Judge(config.Gates{}, base, cur, Options{})
			}
		})
	}
}
