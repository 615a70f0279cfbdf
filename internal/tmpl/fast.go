package tmpl

import (
	"strconv"
	"text/template/parse"
	"time"
)

// The fast path: a template whose actions are all single calls of
// perfgate's functions with literal arguments ({{ letters 8 }},
// {{ int 1 100 }}, {{ pick "a" "b" }}) renders by appending straight to the
// output, without text/template's reflection and with no allocation. It
// draws the same random numbers in the same order, so its output is the
// same as text/template's for the same State.

type opKind uint8

const (
	opText opKind = iota
	opRand        // random string from alphabet, n long
	opUUID
	opSeq
	opKoreanName
	opEmail
	opInt
	opPick
	opNow
	opUnix
	opVar
	opRow
)

type op struct {
	kind     opKind
	text     []byte // opText
	alphabet string // opRand
	n        int    // opRand: length
	lo, hi   int    // opInt
	choices  []string
	name     string // opVar, opRow
}

// compileFast returns the ops of a template the fast path can render, or
// nil.
func compileFast(root *parse.ListNode) []op {
	var ops []op
	for _, n := range root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			ops = append(ops, op{kind: opText, text: n.Text})
		case *parse.ActionNode:
			if len(n.Pipe.Decl) > 0 || len(n.Pipe.Cmds) != 1 {
				return nil
			}
			o, ok := fastCall(n.Pipe.Cmds[0].Args)
			if !ok {
				return nil
			}
			ops = append(ops, o)
		default:
			return nil
		}
	}
	return ops
}

func fastCall(args []parse.Node) (op, bool) {
	id, ok := args[0].(*parse.IdentifierNode)
	if !ok {
		return op{}, false
	}
	ints := func() ([]int, bool) {
		var out []int
		for _, a := range args[1:] {
			num, ok := a.(*parse.NumberNode)
			if !ok || !num.IsInt || num.Int64 != int64(int(num.Int64)) {
				return nil, false
			}
			out = append(out, int(num.Int64))
		}
		return out, true
	}
	alphabets := map[string]string{"letters": alphaLetters, "lower": alphaLower, "digits": alphaDigits, "alnum": alphaAlnum}
	if alpha, ok := alphabets[id.Ident]; ok {
		v, ok := ints()
		if !ok || len(v) != 1 || v[0] < 0 || v[0] > MaxLen {
			return op{}, false
		}
		return op{kind: opRand, alphabet: alpha, n: v[0]}, true
	}
	noArgs := map[string]opKind{"uuid": opUUID, "seq": opSeq, "koreanName": opKoreanName, "email": opEmail, "now": opNow, "unix": opUnix}
	if k, ok := noArgs[id.Ident]; ok {
		return op{kind: k}, len(args) == 1
	}
	switch id.Ident {
	case "int":
		v, ok := ints()
		if !ok || len(v) != 2 || v[0] > v[1] {
			return op{}, false
		}
		return op{kind: opInt, lo: v[0], hi: v[1]}, true
	case "var", "row":
		if len(args) != 2 {
			return op{}, false
		}
		s, ok := args[1].(*parse.StringNode)
		if !ok {
			return op{}, false
		}
		k := opVar
		if id.Ident == "row" {
			k = opRow
		}
		return op{kind: k, name: s.Text}, true
	case "pick":
		if len(args) < 2 {
			return op{}, false
		}
		o := op{kind: opPick}
		for _, a := range args[1:] {
			s, ok := a.(*parse.StringNode)
			if !ok {
				return op{}, false
			}
			o.choices = append(o.choices, s.Text)
		}
		return o, true
	}
	return op{}, false
}

const hexDigits = "0123456789abcdef"

// renderFast appends the ops' output to dst.
func (st *State) renderFast(dst []byte, ops []op) ([]byte, error) {
	limit := len(dst) + MaxOutput
	for i := range ops {
		o := &ops[i]
		switch o.kind {
		case opText:
			dst = append(dst, o.text...)
		case opRand:
			dst = st.appendRand(dst, o.alphabet, o.n)
		case opUUID:
			dst = st.appendUUID(dst)
		case opSeq:
			dst = strconv.AppendInt(dst, st.seqValue(), 10)
		case opKoreanName:
			dst = append(dst, familyNames[st.rng.IntN(len(familyNames))]...)
			dst = append(dst, givenSyllables[st.rng.IntN(len(givenSyllables))]...)
			dst = append(dst, givenSyllables[st.rng.IntN(len(givenSyllables))]...)
		case opEmail:
			dst = st.appendRand(dst, alphaLower+alphaDigits, 10)
			dst = append(dst, "@example.com"...)
		case opInt:
			dst = strconv.AppendInt(dst, int64(st.randInt(o.lo, o.hi)), 10)
		case opPick:
			dst = append(dst, o.choices[st.rng.IntN(len(o.choices))]...)
		case opNow:
			dst = st.now().AppendFormat(dst, time.RFC3339)
		case opUnix:
			dst = strconv.AppendInt(dst, st.now().Unix(), 10)
		case opVar, opRow:
			var v string
			var err error
			if o.kind == opVar {
				v, err = st.varValue(o.name)
			} else {
				v, err = st.rowValue(o.name)
			}
			if err != nil {
				return dst, err
			}
			dst = append(dst, v...)
		}
		if len(dst) > limit {
			return dst[:limit-MaxOutput], ErrTooLarge
		}
	}
	return dst, nil
}

func (st *State) appendRand(dst []byte, alphabet string, n int) []byte {
	for range n {
		dst = append(dst, alphabet[st.rng.IntN(len(alphabet))])
	}
	return dst
}

func (st *State) appendUUID(dst []byte) []byte {
	var u [16]byte
	a, b := st.rng.Uint64(), st.rng.Uint64()
	for i := 0; i < 8; i++ {
		u[i] = byte(a >> (8 * i))
		u[8+i] = byte(b >> (8 * i))
	}
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return dst
}

func (st *State) seqValue() int64 {
	if !st.haveCur {
		st.cur = st.seq.Add(1)
		if st.mapSeq != nil {
			st.cur = st.mapSeq(st.cur)
		}
		st.haveCur = true
	}
	return st.cur
}

func (st *State) randInt(lo, hi int) int {
	span := uint64(hi) - uint64(lo) // wraps correctly for any lo <= hi
	if span == ^uint64(0) {
		return int(st.rng.Uint64())
	}
	return lo + int(st.rng.Uint64N(span+1))
}
