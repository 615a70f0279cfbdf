//go:build !unix

package load

// readClientUsage: unknown off unix (no saturation warning).
func readClientUsage() clientUsage { return clientUsage{} }
