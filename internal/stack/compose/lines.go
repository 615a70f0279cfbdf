package compose

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// compose-go's messages name a field by its path (services.web.ports,
// 'services[web].healthcheck.interval') but not its line: lineOf finds it.
var fieldPathRe = regexp.MustCompile(`\b(services|volumes|networks)(\[[^\]]+\]|\.[A-Za-z0-9_.-]+)(\[[^\]]+\]|\.[A-Za-z0-9_-]+)*`)

// locate returns "path:line: " for the first field path in msg that is in
// the file data, or "path: " when none is found.
func locate(path string, data []byte, msg string) string {
	m := fieldPathRe.FindString(msg)
	if m == "" {
		return path + ": "
	}
	if line := lineOf(data, m); line > 0 {
		return path + ":" + strconv.Itoa(line) + ": "
	}
	return path + ": "
}

// lineOf returns the line of the deepest node of field (a.b[c].0) found
// in the YAML data (0 when not even the first key is there).
func lineOf(data []byte, field string) int {
	var root yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&root); err != nil {
		return 0
	}
	n := &root
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	field = strings.NewReplacer("[", ".", "]", "").Replace(field)
	line := 0
	for _, key := range strings.Split(field, ".") {
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		var next *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == key {
					line, next = n.Content[i].Line, n.Content[i+1]
					break
				}
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(key); err == nil && i >= 0 && i < len(n.Content) {
				next = n.Content[i]
				line = next.Line
			}
		}
		if next == nil {
			break
		}
		n = next
	}
	return line
}
