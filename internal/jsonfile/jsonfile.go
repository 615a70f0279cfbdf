// Package jsonfile reads the JSON files perfgate keeps (results,
// baselines) with a size limit, and turns decoding errors into problems a
// person can act on: where in the file, and what was wrong.
package jsonfile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/perfgate/perfgate/internal/inputfile"
)

// ErrTooLarge is returned by Read for a file above the limit.
var ErrTooLarge = inputfile.ErrTooLarge

// Read returns the content of path, at most max bytes; a larger file is
// ErrTooLarge. A regular file's size is checked before anything is read, so
// an oversize file costs no memory; anything else (a FIFO, a device) is read
// through a limit of max+1 bytes, and opening it never waits for a writer.
// Errors opening the file are returned as they are (so
// errors.Is(err, fs.ErrNotExist) works).
func Read(path string, max int64) ([]byte, error) {
	return ReadContext(context.Background(), path, max)
}

// ReadContext is Read, giving up waiting for a FIFO's writer or reading a
// pipe when ctx ends (with ctx's error).
func ReadContext(ctx context.Context, path string, max int64) ([]byte, error) {
	return inputfile.Read(ctx, path, max, true)
}

// Problem describes a JSON decoding error of data in words: truncated, not
// JSON at line:column, trailing data, or a field holding the wrong type.
func Problem(data []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || err.Error() == "unexpected end of JSON input":
		return "is truncated (the JSON ends early)"
	case errors.As(err, &syn) && strings.Contains(syn.Error(), "after top-level value"):
		return "has data after the JSON object"
	case errors.As(err, &syn):
		line, col := LineCol(data, syn.Offset-1)
		return fmt.Sprintf("is not valid JSON at line %d, column %d: %v", line, col, err)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return "is not a JSON object"
		}
		line, col := LineCol(data, typ.Offset)
		return fmt.Sprintf("field %s holds a %s where a %s is expected (line %d, column %d)", typ.Field, typ.Value, typ.Type, line, col)
	}
	return "cannot be decoded: " + err.Error()
}

// LineCol locates byte offset off in data (1-based line and column).
func LineCol(data []byte, off int64) (line, col int) {
	off = max(0, min(off, int64(len(data))))
	line, col = 1, 1
	for _, c := range data[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}
