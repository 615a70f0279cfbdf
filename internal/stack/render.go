package stack

import (
	"context"

	"github.com/perfgate/perfgate/internal/endpoint"
)

// RenderTemplate expands s, a text/template with one function,
// {{ endpoint "svc" 8080 }}, which resolve turns into "host:port"
// (see package endpoint).
func RenderTemplate(ctx context.Context, s string, resolve EndpointFunc) (string, error) {
	return endpoint.Render(ctx, s, endpoint.Func(resolve))
}
