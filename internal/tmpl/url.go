package tmpl

import (
	"fmt"
	"strings"
)

// SplitURL splits a request URL that may hold template actions into its
// origin ("http://host:port", which must be written out: endpoints are
// resolved before) and the template of its path and query ("/users/{{ seq }}").
// A URL without actions gives path "". The path template always starts with
// "/".
func SplitURL(raw string) (origin, path string, err error) {
	i := strings.Index(raw, "{{")
	if i < 0 {
		return raw, "", nil
	}
	se := strings.Index(raw, "://")
	if se < 0 || se > i {
		return "", "", fmt.Errorf("url %q: the scheme and host must be written out (or use {{ endpoint \"svc\" 8080 }}); templates go in the path and query only", raw)
	}
	rest := raw[se+3:]
	j := strings.IndexAny(rest, "/?")
	if j < 0 || se+3+j > i {
		return "", "", fmt.Errorf("url %q: a template in the host is not supported; templates go in the path and query only (the host comes from {{ endpoint \"svc\" 8080 }})", raw)
	}
	origin, path = raw[:se+3+j], raw[se+3+j:]
	if path[0] == '?' {
		path = "/" + path
	}
	return origin, path, nil
}

// AppendPathEscaped appends src, a rendered path and query, to dst with the
// bytes a request line cannot carry percent-encoded (controls, space,
// non-ASCII, '"', '#', '<', '>', '\\', '^', '`', '{', '|', '}'); what is
// already valid, including '%', '/', '?', '&' and '=', is kept as is.
func AppendPathEscaped(dst, src []byte) []byte {
	for _, c := range src {
		if pathByteOK(c) {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', upperHex[c>>4], upperHex[c&0xf])
	}
	return dst
}

const upperHex = "0123456789ABCDEF"

func pathByteOK(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	switch c {
	case '"', '#', '<', '>', '\\', '^', '`', '{', '|', '}':
		return false
	}
	return true
}
