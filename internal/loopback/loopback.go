// Package loopback tells whether a host names this machine's loopback
// interface: perfgate only ever aims its readiness checks and test load at
// such addresses.
package loopback

import (
	"net/netip"
	"strings"
)

// Host reports whether host ("127.0.0.1", "::1", "[::1]", "localhost") is a
// loopback address. Other names are not resolved: they are not loopback.
func Host(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && a.IsLoopback()
}
