package tmpl

import (
	"strings"
	"text/template"
	"text/template/parse"
)

// Refs lists the names a template reads with {{ var "NAME" }} and
// {{ row "COLUMN" }} (literal arguments only), in order of appearance, for
// checks before a run. A template that does not parse gives none (Compile
// reports why).
func Refs(text string) (vars, rows []string) {
	if !strings.Contains(text, "{{") {
		return nil, nil
	}
	t, err := template.New("").Funcs(stubFuncs).Parse(text)
	if err != nil || t.Tree == nil {
		return nil, nil
	}
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, c := range n.Nodes {
				walk(c)
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			if n.ElseList != nil {
				walk(n.ElseList)
			}
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			if n.ElseList != nil {
				walk(n.ElseList)
			}
		case *parse.PipeNode:
			if n == nil {
				return
			}
			for _, c := range n.Cmds {
				walk(c)
			}
		case *parse.CommandNode:
			if len(n.Args) == 2 {
				id, ok1 := n.Args[0].(*parse.IdentifierNode)
				s, ok2 := n.Args[1].(*parse.StringNode)
				if ok1 && ok2 {
					switch id.Ident {
					case "var":
						vars = append(vars, s.Text)
					case "row":
						rows = append(rows, s.Text)
					}
				}
			}
			for _, a := range n.Args {
				if p, ok := a.(*parse.PipeNode); ok {
					walk(p)
				}
			}
		}
	}
	walk(t.Tree.Root)
	return vars, rows
}
