package scaffold

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Ask lets a person at a terminal confirm or change the options: each
// question shows the current value, and an empty answer keeps it. Flags
// given on the command line (set) are not asked again.
func Ask(in io.Reader, out io.Writer, o Options, set map[string]bool) Options {
	r := bufio.NewReader(in)
	ask := func(flag, question, cur string) string {
		if set[flag] {
			return cur
		}
		fmt.Fprintf(out, "%s [%s]: ", question, cur)
		line, err := r.ReadString('\n')
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
		_ = err // end of input: keep the value
		return cur
	}
	o.SetService(ask("service", "Service name", o.Service))
	if p, err := strconv.Atoi(ask("port", "Port it listens on", strconv.Itoa(o.Port))); err == nil {
		o.Port = p
	}
	o.URL = ask("url", "Path to load", o.URL)
	health := o.Health
	if health == "" {
		health = "none: wait for the port"
	}
	if h := ask("health", "Health path", health); h != health {
		o.Health = h
	}
	return o
}
