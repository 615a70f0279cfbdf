package compose

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/perfgate/perfgate/internal/config"
)

// keys lists, per place in a compose file, the keys perfgate supports.
// A key that is not listed stops the run before anything starts. "*"
// allows any key there (a mapping of names); nested keys are listed
// under "<place>.<key>".
var keys = map[string][]string{
	"":                                {"name", "version", "services", "volumes", "networks"},
	"service":                         {"image", "build", "environment", "env_file", "command", "entrypoint", "ports", "expose", "depends_on", "healthcheck", "volumes", "tmpfs", "networks", "deploy", "init", "user", "working_dir", "profiles", "labels", "container_name", "restart", "hostname", "stop_grace_period"},
	"service.build":                   {"context", "dockerfile", "args", "target"},
	"service.deploy":                  {"resources"},
	"service.deploy.resources":        {"limits"},
	"service.deploy.resources.limits": {"cpus", "memory"},
	"service.healthcheck":             {"test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"},
	"service.depends_on.*":            {"condition", "required", "restart"},
	"service.ports[]":                 {"target", "published", "host_ip", "protocol", "mode", "name", "app_protocol"},
	"service.volumes[]":               {"type", "source", "target", "read_only", "bind", "volume"},
	"service.volumes[].bind":          {"create_host_path"},
	"service.volumes[].volume":        {"nocopy"},
	"service.networks.*":              {"aliases"},
	"service.env_file[]":              {"path", "required"},
	"service." + Extension:            {"ready"},
	"service." + Extension + ".ready": {"http", "port", "tcp", "log", "status", "timeout"},
	"volume":                          {"name", "labels"},
	"network":                         {"name", "labels", "driver"},
}

// hints say what to do about an unsupported key that real files often use.
var hints = map[string]string{
	"network_mode": "perfgate gives the run one bridge network; remove network_mode (host networking: use perfgate.yaml's container.network: host)",
	"secrets":      "mount the file with volumes: instead",
	"configs":      "mount the file with volumes: instead",
	"extends":      "write the service out in full",
	"cap_add":      "perfgate does not run privileged containers; remove it",
	"privileged":   "perfgate does not run privileged containers; remove it",
	"devices":      "remove it",
	"replicas":     "list the replicas as separate services",
	"reservations": "only limits are applied; remove reservations",
	"include":      "merge the included file into this one",
	"scale":        "list the replicas as separate services",
}

var extKey = regexp.MustCompile(`^x-`)

// Check reads a compose file's YAML and reports syntax errors and every
// key perfgate does not support, with file:line, before anything starts.
func Check(path string, data []byte) error {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return &config.Error{Problems: []config.Problem{{File: path, Msg: "the compose file is empty; it needs services:"}}}
		}
		return &config.Error{Problems: []config.Problem{syntaxProblem(path, err)}}
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	c := &checker{file: path}
	if doc.Kind != yaml.MappingNode {
		c.add(doc, "", "expected a mapping with services: at the top level")
	} else {
		c.mapping(doc, "", "")
	}
	if len(c.problems) > 0 {
		sort.SliceStable(c.problems, func(i, j int) bool { return c.problems[i].Line < c.problems[j].Line })
		return &config.Error{Problems: c.problems}
	}
	return nil
}

var lineRe = regexp.MustCompile(`line (\d+)`)

func syntaxProblem(path string, err error) config.Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	p := config.Problem{File: path, Msg: "YAML syntax error: " + msg}
	if m := lineRe.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
	}
	return p
}

type checker struct {
	file     string
	problems []config.Problem
}

func (c *checker) add(n *yaml.Node, field, format string, args ...any) {
	c.problems = append(c.problems, config.Problem{File: c.file, Line: n.Line, Col: n.Column, Field: field, Msg: fmt.Sprintf(format, args...)})
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// mapping checks the keys of n, a mapping at place (a key of keys); field
// is where it is in the file, for messages.
func (c *checker) mapping(n *yaml.Node, place, field string) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return // compose-go reports wrong types
	}
	allowed := keys[place]
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f := join(field, k.Value)
		if place == "service" && k.Value == Extension {
			c.mapping(v, "service."+Extension, f)
			if r := mappingValue(v, "ready"); r != nil {
				c.mapping(r, "service."+Extension+".ready", f+".ready")
			}
			continue
		}
		if k.Value == "<<" { // merged keys count as written here
			merged := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				merged = v.Content
			}
			for _, m := range merged {
				c.mapping(m, place, field)
			}
			continue
		}
		if extKey.MatchString(k.Value) {
			continue
		}
		if !slices.Contains(allowed, k.Value) {
			msg := fmt.Sprintf("%q is not supported by perfgate; supported here: %s", k.Value, strings.Join(allowed, ", "))
			if h := hints[k.Value]; h != "" {
				msg += "; " + h
			} else {
				msg += "; remove it, or start this service another way (see docs/compose.md)"
			}
			c.add(k, f, "%s", msg)
			continue
		}
		c.child(v, place, k.Value, f)
	}
}

// child checks the value of key under place.
func (c *checker) child(v *yaml.Node, place, key, field string) {
	switch {
	case place == "" && key == "services":
		c.named(v, "service", field)
	case place == "" && key == "volumes":
		c.named(v, "volume", field)
	case place == "" && key == "networks":
		c.named(v, "network", field)
	case place == "service" && (key == "ports" || key == "volumes" || key == "env_file"):
		c.list(v, place+"."+key+"[]", field)
	case place == "service" && (key == "depends_on" || key == "networks"):
		c.named(v, place+"."+key+".*", field)
	case place == "service.volumes[]" && (key == "bind" || key == "volume"):
		c.mapping(v, place+"."+key, field)
	case keys[place+"."+key] != nil:
		c.mapping(v, place+"."+key, field)
	}
}

// named checks each value of a mapping of names (services, volumes, ...).
func (c *checker) named(n *yaml.Node, place, field string) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		c.mapping(n.Content[i+1], place, join(field, n.Content[i].Value))
	}
}

// list checks the mapping items of a list (long syntax); strings pass.
func (c *checker) list(n *yaml.Node, place, field string) {
	if n.Kind != yaml.SequenceNode {
		return
	}
	for i, item := range n.Content {
		c.mapping(item, place, fmt.Sprintf("%s[%d]", field, i))
	}
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
