package config

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/perfgate/perfgate/internal/inputfile"
)

// MaxFileSize bounds what Load reads; a config is small.
const MaxFileSize = 4 << 20

// Problem is one thing wrong with a config file, located by line and field.
type Problem struct {
	File  string
	Line  int    // 0 when unknown
	Col   int    // 0 when unknown
	Field string // e.g. services[0].ready.timeout
	Msg   string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Col > 0 {
			fmt.Fprintf(&b, ":%d", p.Col)
		}
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error lists every problem found in a config file.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	if len(lines) == 1 {
		return lines[0]
	}
	return fmt.Sprintf("%d problems in config:\n  %s", len(lines), strings.Join(lines, "\n  "))
}

// ReadFile reads, checks and defaults the config at path. Any error it returns
// describes bad input (exit 2); a *Error lists each problem with file:line.
func ReadFile(path string) (*Config, error) {
	return ReadFileContext(context.Background(), path)
}

// ReadFileContext is ReadFile, stopping when ctx ends (a config or data file
// that is a pipe nobody writes to must not make perfgate deaf to Ctrl-C).
func ReadFileContext(ctx context.Context, path string) (*Config, error) {
	data, err := inputfile.Read(ctx, path, MaxFileSize, true)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("config %s not found; pass -c FILE or create perfgate.yaml (see examples/quickstart/perfgate.yaml)", path)
	case errors.Is(err, inputfile.ErrTooLarge):
		return nil, fmt.Errorf("config %s is larger than %d bytes; is it the right file?", path, MaxFileSize)
	case err != nil:
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	cfg, err := ParseContext(ctx, path, data)
	if err != nil {
		return nil, err
	}
	// Files on disk are checked only for a real file (Parse is also used on
	// configs held in memory).
	d := &decoder{file: path, lines: cfg.lines}
	v := &validator{d: d, cfg: cfg, ctx: ctx}
	v.checkFiles()
	if len(d.problems) > 0 {
		return nil, &Error{Problems: d.problems}
	}
	return cfg, nil
}

// Parse checks and defaults a config held in memory; path is used for
// messages and to resolve relative paths.
func Parse(path string, data []byte) (*Config, error) {
	return ParseContext(context.Background(), path, data)
}

// ParseContext is Parse that stops checking when ctx is done and then
// returns ctx's error: checking renders every request template once.
func ParseContext(ctx context.Context, path string, data []byte) (*Config, error) {
	d := &decoder{file: path, lines: map[string]pos{}, nulls: map[string]bool{}, keys: map[string][]string{}}
	cfg := &Config{}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{Problems: []Problem{{File: path, Msg: "the file is empty; it needs at least name, scenarios and load (see examples/quickstart/perfgate.yaml)"}}}
		}
		return nil, &Error{Problems: []Problem{quoteHint(d.syntaxProblem(err), data)}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{Problems: []Problem{{File: path, Line: extra.Line, Msg: "more than one YAML document; perfgate.yaml holds one"}}}
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return nil, &Error{Problems: []Problem{{File: path, Line: doc.Line, Col: doc.Column, Msg: "expected a mapping of keys (name, services, scenarios, load, client, gates) at the top level"}}}
	}
	cfg.Compose = d.extractCompose(doc)
	d.walk(doc, reflect.TypeOf(cfg).Elem(), "")
	if len(d.problems) > 0 {
		return nil, &Error{Problems: d.problems}
	}
	if err := doc.Decode(cfg); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, msg := range te.Errors {
				d.problems = append(d.problems, d.typeProblem(msg))
			}
		} else {
			d.problems = append(d.problems, d.syntaxProblem(err))
		}
		return nil, &Error{Problems: d.problems}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	cfg.Path = path
	cfg.Dir = filepath.Dir(abs)
	sum := sha256.Sum256(data)
	cfg.Hash = hex.EncodeToString(sum[:8])
	for i := range cfg.Services {
		cfg.Services[i].Line = d.lines[fmt.Sprintf("services[%d]", i)].line
	}
	for i := range cfg.Scenarios {
		cfg.Scenarios[i].Line = d.lines[fmt.Sprintf("scenarios[%d]", i)].line
		cfg.Scenarios[i].VarOrder = d.keys[fmt.Sprintf("scenarios[%d].vars", i)]
	}
	cfg.lines = d.lines
	cfg.nulls = d.nulls
	applyDefaults(cfg)
	v := &validator{d: d, cfg: cfg, ctx: ctx}
	v.validate()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(d.problems) > 0 {
		sort.SliceStable(d.problems, func(i, j int) bool {
			a, b := d.problems[i], d.problems[j]
			return a.Line < b.Line || (a.Line == b.Line && a.Col < b.Col)
		})
		return nil, &Error{Problems: d.problems}
	}
	return cfg, nil
}

type pos struct{ line, col int }

// decoder walks the YAML tree against the Go types to reject unknown keys
// and remember where every field is, so later checks can point at a line.
type decoder struct {
	file     string
	lines    map[string]pos
	nulls    map[string]bool     // fields written with a null value (key: ~), which count as absent
	keys     map[string][]string // a mapping's keys in file order, by the path of a map-typed field (vars)
	problems []Problem
}

var unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

func (d *decoder) add(n *yaml.Node, field, format string, args ...any) {
	p := Problem{File: d.file, Field: field, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Col = n.Line, n.Column
	}
	d.problems = append(d.problems, p)
}

func (d *decoder) walk(n *yaml.Node, t reflect.Type, path string) {
	if n == nil {
		return
	}
	if path != "" {
		d.lines[path] = pos{n.Line, n.Column}
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
		if n == nil {
			return
		}
	}
	if path != "" && n.Kind == yaml.ScalarNode && n.Tag == "!!null" && d.nulls != nil {
		d.nulls[path] = true
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		d.leaf(n, t, path) // a leaf with its own parser
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return
		}
		if n.Kind != yaml.MappingNode {
			d.add(n, path, "expected a mapping with keys %s", strings.Join(keysOf(t), ", "))
			return
		}
		fields := fieldsOf(t)
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" {
				d.add(k, path, "YAML merge keys (<<) are not supported; write the fields out")
				continue
			}
			child := join(path, k.Value)
			if seen[k.Value] {
				d.add(k, child, "key %q appears twice", k.Value)
				continue
			}
			seen[k.Value] = true
			ft, ok := fields[k.Value]
			if !ok {
				d.add(k, child, "%s", unknownKey(k.Value, t))
				continue
			}
			d.lines[child] = pos{k.Line, k.Column}
			d.walk(v, ft, child)
			d.lines[child] = pos{k.Line, k.Column}
		}
	case reflect.Slice:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return
		}
		if n.Kind != yaml.SequenceNode && !scalarAsList(n, t, path) {
			d.add(n, path, "expected a list")
			return
		}
		for i, item := range n.Content {
			ip := fmt.Sprintf("%s[%d]", path, i)
			if item.Kind == yaml.ScalarNode && item.Tag == "!!null" {
				// The YAML decoder would drop it and shift the others.
				d.add(item, ip, "empty list item; remove it or give it a value")
				continue
			}
			d.walk(item, t.Elem(), ip)
		}
	case reflect.Map:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return
		}
		if n.Kind != yaml.MappingNode {
			d.add(n, path, "expected a mapping")
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			child := join(path, k.Value)
			if d.keys != nil {
				d.keys[path] = append(d.keys[path], k.Value)
			}
			d.lines[child] = pos{k.Line, k.Column}
			d.walk(v, t.Elem(), child)
			d.lines[child] = pos{k.Line, k.Column}
		}
	default:
		if n.Kind != yaml.ScalarNode {
			d.add(n, path, "expected a single value (%s), got a %s", kindName(t), nodeKind(n))
			return
		}
		d.leaf(n, t, path)
	}
}

// leaf decodes one value node into a fresh t, so a value of the wrong type
// is reported here with its field path and line:col. (The YAML decoder's
// own type errors carry only a line, which is ambiguous in flow style.)
func (d *decoder) leaf(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	err := n.Decode(reflect.New(t).Interface())
	if err == nil {
		return
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		d.add(n, path, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		return
	}
	for _, msg := range te.Errors {
		p := d.typeMsg(msg)
		line, col := p.Line, p.Col
		if line == 0 || (line == n.Line && col == 0) {
			line, col = n.Line, n.Column
		}
		d.problems = append(d.problems, Problem{File: d.file, Line: line, Col: col, Field: path, Msg: p.Msg})
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func fieldsOf(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		m[tag] = f.Type
	}
	return m
}

func keysOf(t reflect.Type) []string {
	var ks []string
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag != "" && tag != "-" {
			ks = append(ks, tag)
		}
	}
	return ks
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "text"
	}
	return t.String()
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}

// closest suggests a known key within edit distance 2.
func closest(s string, keys []string) string {
	best, bestD := "", 3
	for _, k := range keys {
		if dd := editDistance(s, k); dd < bestD {
			best, bestD = k, dd
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

var lineRe = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

func (d *decoder) syntaxProblem(err error) Problem {
	msg := err.Error()
	if m := lineRe.FindStringSubmatch(msg); m != nil {
		l, _ := strconv.Atoi(m[1])
		return Problem{File: d.file, Line: l, Msg: "YAML syntax: " + m[2]}
	}
	return Problem{File: d.file, Msg: strings.TrimPrefix(msg, "yaml: ")}
}

var colRe = regexp.MustCompile(`^column (\d+): (.*)$`)

var unmarshalRe = regexp.MustCompile("cannot unmarshal !!(\\w+) `(.*)` into (.*)$")

// typeProblem turns one of the YAML decoder's type errors into a Problem,
// naming the field from the line (a guess when a line holds several
// fields; walk's leaf checks find those first, with their exact place).
func (d *decoder) typeProblem(msg string) Problem {
	p := d.typeMsg(msg)
	// Name the field from the line when we know it.
	for path, ps := range d.lines {
		if ps.line == p.Line && (p.Field == "" || len(path) > len(p.Field) || (len(path) == len(p.Field) && path < p.Field)) {
			p.Field = path
		}
	}
	return p
}

// typeMsg reads the line and a readable message from a YAML type error.
func (d *decoder) typeMsg(msg string) Problem {
	p := Problem{File: d.file, Msg: msg}
	if m := lineRe.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Msg = m[2]
		if m := colRe.FindStringSubmatch(p.Msg); m != nil { // from lineErr
			p.Col, _ = strconv.Atoi(m[1])
			p.Msg = m[2]
		}
	}
	if m := unmarshalRe.FindStringSubmatch(p.Msg); m != nil {
		want := m[3]
		switch {
		case strings.Contains(want, "int"):
			want = "a whole number"
		case strings.Contains(want, "float"):
			want = "a number"
		case want == "bool":
			want = "true or false"
		case want == "string":
			want = "text"
		}
		p.Msg = fmt.Sprintf("expected %s, got %q", want, m[2])
	}
	return p
}
