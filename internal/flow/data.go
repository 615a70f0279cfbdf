package flow

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/perfgate/perfgate/internal/inputfile"
)

// MaxDataFile bounds a data file's size: it is read once into memory.
const MaxDataFile = 256 << 20

// Table is a data file read once and shared by every worker (read-only).
// A CSV file has a header row naming the columns; a JSON lines file
// (.jsonl, .ndjson, or a first line starting with '{') has one flat object
// per line, the columns being the first object's keys.
type Table struct {
	File    string
	Columns []string
	Rows    [][]string // each len(Columns), in Columns' order
	col     map[string]int
}

// Col returns a column's index.
func (t *Table) Col(name string) (int, bool) {
	i, ok := t.col[name]
	return i, ok
}

// DataError is a bad data file, located by line (0: the whole file).
type DataError struct {
	File string
	Line int
	Msg  string
}

func (e *DataError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// ReadTable reads and checks a data file. Errors are *DataError (bad
// input: exit 2).
func ReadTable(path string) (*Table, error) {
	return ReadTableContext(context.Background(), path)
}

// ReadTableContext is ReadTable, stopping when ctx ends. Only a regular
// file is read (a FIFO could hang the read, or feed it without end), and
// its size is checked before reading.
func ReadTableContext(ctx context.Context, path string) (*Table, error) {
	b, err := inputfile.Read(ctx, path, MaxDataFile, false)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, &DataError{File: path, Msg: "the data file does not exist (data.file is relative to the config file)"}
	case errors.Is(err, inputfile.ErrTooLarge):
		return nil, &DataError{File: path, Msg: fmt.Sprintf("larger than %d MB; a data file is read into memory", MaxDataFile>>20)}
	case errors.Is(err, inputfile.ErrNotRegular):
		return nil, &DataError{File: path, Msg: "a data file must be a regular file: " + err.Error()}
	case err != nil:
		return nil, &DataError{File: path, Msg: err.Error()}
	}
	return ParseTable(path, b)
}

// ParseTable parses a data file's content; name gives the format by its
// extension and is used in errors.
func ParseTable(name string, data []byte) (*Table, error) {
	ext := strings.ToLower(filepath.Ext(name))
	first := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if ext == ".jsonl" || ext == ".ndjson" || (ext != ".csv" && len(first) > 0 && first[0] == '{') {
		return parseJSONLines(name, data)
	}
	return parseCSV(name, data)
}

func newTable(name string, cols []string, line int) (*Table, error) {
	t := &Table{File: name, Columns: cols, col: make(map[string]int, len(cols))}
	for i, c := range cols {
		if c == "" {
			return nil, &DataError{File: name, Line: line, Msg: fmt.Sprintf("column %d has no name", i+1)}
		}
		if _, dup := t.col[c]; dup {
			return nil, &DataError{File: name, Line: line, Msg: fmt.Sprintf("column %q appears twice", c)}
		}
		t.col[c] = i
	}
	return t, nil
}

func parseCSV(name string, data []byte) (*Table, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	r := csv.NewReader(bytes.NewReader(data))
	r.ReuseRecord = false
	head, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, &DataError{File: name, Msg: "empty: a CSV data file starts with a header row naming the columns, then one row per line"}
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	for i := range head {
		head[i] = strings.TrimSpace(head[i])
	}
	t, err := newTable(name, head, 1)
	if err != nil {
		return nil, err
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		t.Rows = append(t.Rows, rec)
	}
	if len(t.Rows) == 0 {
		return nil, &DataError{File: name, Line: 1, Msg: "a header row and no data rows: add at least one row"}
	}
	return t, nil
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		msg := pe.Err.Error()
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			msg = "the row's number of fields differs from the header row's"
		}
		return &DataError{File: name, Line: pe.Line, Msg: msg}
	}
	return &DataError{File: name, Msg: err.Error()}
}

func parseJSONLines(name string, data []byte) (*Table, error) {
	var t *Table
	line := 0
	for len(data) > 0 {
		line++
		var l []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			l, data = data, nil
		}
		l = bytes.TrimSpace(bytes.TrimPrefix(l, []byte("\ufeff")))
		if len(l) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(l))
		dec.UseNumber()
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil || obj == nil {
			msg := "not a JSON object: each line of a JSON lines file is one object such as {\"email\":\"a@example.com\"}"
			if err != nil {
				msg += " (" + err.Error() + ")"
			}
			return nil, &DataError{File: name, Line: line, Msg: msg}
		}
		if dec.More() {
			return nil, &DataError{File: name, Line: line, Msg: "more than one JSON value on the line"}
		}
		if t == nil {
			cols := make([]string, 0, len(obj))
			for k := range obj {
				cols = append(cols, k)
			}
			sort.Strings(cols)
			var err error
			if t, err = newTable(name, cols, line); err != nil {
				return nil, err
			}
		}
		if len(obj) != len(t.Columns) {
			return nil, &DataError{File: name, Line: line, Msg: fmt.Sprintf("has %d keys, the first line %d (%s): every line has the same keys", len(obj), len(t.Columns), strings.Join(t.Columns, ", "))}
		}
		row := make([]string, len(t.Columns))
		for k, v := range obj {
			i, ok := t.col[k]
			if !ok {
				return nil, &DataError{File: name, Line: line, Msg: fmt.Sprintf("key %q is not in the first line (%s): every line has the same keys", k, strings.Join(t.Columns, ", "))}
			}
			switch v := v.(type) {
			case string:
				row[i] = v
			case json.Number:
				row[i] = v.String()
			case bool:
				row[i] = fmt.Sprint(v)
			case nil:
				row[i] = ""
			default:
				return nil, &DataError{File: name, Line: line, Msg: fmt.Sprintf("key %q: a value is a string, number, boolean or null, not an object or array", k)}
			}
		}
		t.Rows = append(t.Rows, row)
	}
	if t == nil {
		return nil, &DataError{File: name, Msg: "empty: a JSON lines data file has one object per line"}
	}
	return t, nil
}

// Orders of rows (data.order).
const (
	Sequential = "sequential" // row 0, 1, 2, ... across all workers, wrapping around
	Random     = "random"     // a row at random for each iteration
)

// Shard restricts a data file to its partition Index of Count: the rows i
// with i % Count == Index. The zero value and {0, 1} take every row.
type Shard struct{ Index, Count int }

// Rows hands out a Table's rows to iterations (safe for concurrent use).
type Rows struct {
	t     *Table
	idx   []int // the partition's rows
	order string
	next  atomic.Int64
}

// NewRows selects rows of t in order ("" is Sequential) within shard sh.
func NewRows(t *Table, order string, sh Shard) (*Rows, error) {
	switch order {
	case "":
		order = Sequential
	case Sequential, Random:
	default:
		return nil, fmt.Errorf("data order %q: use %q or %q", order, Sequential, Random)
	}
	if sh.Count == 0 {
		sh.Count = 1
	}
	if sh.Count < 0 || sh.Index < 0 || sh.Index >= sh.Count {
		return nil, fmt.Errorf("data shard %d of %d: want 0 <= index < count", sh.Index, sh.Count)
	}
	r := &Rows{t: t, order: order}
	for i := sh.Index; i < len(t.Rows); i += sh.Count {
		r.idx = append(r.idx, i)
	}
	if len(r.idx) == 0 {
		return nil, fmt.Errorf("%s: shard %d of %d holds none of its %d rows", t.File, sh.Index, sh.Count, len(t.Rows))
	}
	return r, nil
}

// Len is the number of rows handed out (the shard's).
func (r *Rows) Len() int { return len(r.idx) }

// Table returns the table the rows come from.
func (r *Rows) Table() *Table { return r.t }

// Pick returns the next row: the next in file order (Sequential, shared by
// all workers), or one drawn with rng (Random).
func (r *Rows) Pick(rng *rand.Rand) []string {
	var i int
	if r.order == Random {
		i = r.idx[rng.IntN(len(r.idx))]
	} else {
		i = r.idx[(r.next.Add(1)-1)%int64(len(r.idx))]
	}
	return r.t.Rows[i]
}
