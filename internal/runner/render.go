package runner

import (
	"context"
	"errors"
)

// Render expands {{ endpoint "svc" 8080 }} in s against this side's
// started services (a profile URL, say).
func (s *Side) Render(ctx context.Context, str string) (string, error) {
	if s == nil || s.st == nil {
		return "", errors.New("no services started")
	}
	return s.st.Render(ctx, str)
}
