package baseline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/internal/atomicfile"
	"github.com/perfgate/perfgate/internal/jsonfile"
	"github.com/perfgate/perfgate/internal/results"
)

// MaxFileSize bounds what Read accepts; a baseline with histograms is a few
// hundred KiB at most. A regular file's size is checked before it is read.
const MaxFileSize = 64 << 20

// recreateHint is what a user can do about a bad baseline file.
const recreateHint = "re-create it with `perfgate baseline update` (or restore it from version control)"

// Error is a baseline file that cannot be used. The CLI maps it to exit 2.
// errors.Is(err, fs.ErrNotExist) is true when the file does not exist.
type Error struct {
	Path    string // the file
	Problem string // what is wrong, e.g. "is truncated"
	Hint    string // what to do
	Err     error  // the underlying error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "baseline %s: %s", e.Path, e.Problem)
	if e.Err != nil {
		fmt.Fprintf(&b, " (%v)", e.Err)
	}
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Read reads and checks the baseline at path. Every error is an *Error; a
// missing file also matches fs.ErrNotExist.
func Read(path string) (*Baseline, error) {
	return ReadContext(context.Background(), path)
}

// ReadContext is Read, stopping when ctx ends (a FIFO nobody writes to).
func ReadContext(ctx context.Context, path string) (*Baseline, error) {
	data, err := jsonfile.ReadContext(ctx, path, MaxFileSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &Error{Path: path, Problem: "does not exist", Hint: "create it with `perfgate baseline update`", Err: fs.ErrNotExist}
	case errors.Is(err, jsonfile.ErrTooLarge):
		return nil, &Error{Path: path, Problem: fmt.Sprintf("is larger than the %d MiB limit for a baseline", MaxFileSize>>20), Hint: recreateHint, Err: err}
	case err != nil:
		return nil, &Error{Path: path, Problem: "cannot be read", Hint: "check the path and its permissions", Err: err}
	}
	return parse(path, data)
}

// Parse checks and decodes a baseline held in memory; name is used in errors.
func Parse(name string, data []byte) (*Baseline, error) { return parse(name, data) }

func parse(path string, data []byte) (*Baseline, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{Path: path, Problem: "is empty", Hint: recreateHint}
	}
	// First the schema alone, so a future version is reported as such and
	// not as whatever field it changed.
	var head struct {
		Schema *string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, jsonError(path, data, err)
	}
	switch {
	case head.Schema == nil:
		return nil, &Error{Path: path, Problem: `is not a perfgate baseline: it has no "schema" field`, Hint: recreateHint}
	case *head.Schema == Schema:
	case strings.HasPrefix(*head.Schema, schemaPrefix):
		v, err := strconv.Atoi(strings.TrimPrefix(*head.Schema, schemaPrefix))
		if err == nil && v > 1 {
			return nil, &Error{Path: path, Problem: fmt.Sprintf("has schema %q, written by a newer perfgate; this perfgate reads %q", *head.Schema, Schema),
				Hint: "upgrade perfgate, or " + recreateHint}
		}
		return nil, &Error{Path: path, Problem: fmt.Sprintf("has unknown schema %q; expected %q", *head.Schema, Schema), Hint: recreateHint}
	default:
		return nil, &Error{Path: path, Problem: fmt.Sprintf("is not a perfgate baseline: schema is %q, expected %q", *head.Schema, Schema), Hint: recreateHint}
	}

	// Unmarshal, not a Decoder over data, which would copy the whole file
	// into its own buffer; data after the object was refused above.
	var b Baseline
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, jsonError(path, data, err)
	}
	if msg := b.validate(); msg != "" {
		return nil, &Error{Path: path, Problem: "is invalid: " + msg, Hint: recreateHint}
	}
	if msg := histogramProblem(&b); msg != "" {
		return nil, &Error{Path: path, Problem: "is invalid: " + msg, Hint: recreateHint}
	}
	return &b, nil
}

func jsonError(path string, data []byte, err error) error {
	return &Error{Path: path, Problem: jsonfile.Problem(data, err), Hint: recreateHint, Err: err}
}

// Marshal encodes b as the indented JSON that Write stores.
func Marshal(b *Baseline) ([]byte, error) {
	if b.Schema == "" {
		b.Schema = Schema
	}
	if b.Schema != Schema {
		return nil, fmt.Errorf("baseline %q: cannot write schema %q, only %q", b.Name, b.Schema, Schema)
	}
	if msg := b.validate(); msg != "" {
		return nil, fmt.Errorf("baseline %q is not worth writing: %s", b.Name, msg)
	}
	if msg := histogramProblem(b); msg != "" {
		return nil, fmt.Errorf("baseline %q is not worth writing: %s", b.Name, msg)
	}
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("baseline %q: %w", b.Name, err)
	}
	return append(data, '\n'), nil
}

// Write stores b at path atomically: it writes a temporary file in the same
// folder, syncs it and renames it over path, so a reader sees either the old
// file or the whole new one. It creates the folder if needed.
func Write(path string, b *Baseline) error {
	data, err := Marshal(b)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, data, 0o644); err != nil {
		return fmt.Errorf("baseline %s: %w", path, err)
	}
	return nil
}

// histogramProblem names the first scenario of b whose histogram does not
// decode, or "".
func histogramProblem(b *Baseline) string {
	for _, sc := range b.Scenarios {
		if err := results.CheckHistogram(sc.Histogram); err != nil {
			return fmt.Sprintf("scenario %q: histogram %v", sc.Name, err)
		}
	}
	return ""
}
