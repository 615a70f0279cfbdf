package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/perfgate/perfgate/internal/runner"
)

func TestCodes(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("plain"), 2},
		{BadInput(errors.New("x")), 2},
		{EnvFailed(errors.New("x")), 3},
		{Regression(errors.New("x")), 1},
		{fmt.Errorf("wrapped: %w", EnvFailed(errors.New("x"))), 3},
		{EnvFailed(BadInput(errors.New("x"))), 2}, // the first classification wins
		{RunError(context.Background(), fmt.Errorf("%w: boom", runner.ErrEnvironment)), 3},
		{RunError(context.Background(), fmt.Errorf("%w: partial", runner.ErrInterrupted)), 3},
		{RunError(context.Background(), fmt.Errorf("%w: url", runner.ErrBadInput)), 2},
		{VerdictError("fail", 2), 1},
		{VerdictError("pass", 0), 0},
		{VerdictError("no-baseline", 0), 0},
	}
	for i, tt := range tests {
		if got := Code(tt.err); got != tt.want {
			t.Errorf("%d: Code(%v) = %d, want %d", i, tt.err, got, tt.want)
		}
	}
}
