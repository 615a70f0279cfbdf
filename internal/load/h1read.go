package load

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"syscall"
)

// h1MaxHeader bounds a response's header (as net/http's MaxResponseHeaderBytes).
const h1MaxHeader = 1 << 20

// errH1Protocol is a response perfgate's client cannot parse.
type h1ProtocolError struct{ msg string }

func (e *h1ProtocolError) Error() string { return "malformed HTTP response: " + e.msg }

func (cn *h1Conn) readResponse(head bool, rb *respBuf) (int, error) {
	br := &cn.br
	for {
		rb.reset()
		line, err := br.ReadSlice('\n')
		if err != nil {
			if len(line) == 0 && cn.reqs > 0 && (errors.Is(err, io.EOF) || isReset(err)) {
				return 0, &retryable{err}
			}
			if errors.Is(err, io.EOF) && len(line) > 0 {
				err = io.ErrUnexpectedEOF
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				return 0, &h1ProtocolError{"status line too long"}
			}
			return 0, err
		}
		// The shortest is "HTTP/1.1 200\n": a bare LF ends a line too.
		if len(line) < 13 || string(line[:7]) != "HTTP/1." || line[8] != ' ' {
			return 0, &h1ProtocolError{fmt.Sprintf("status line %q", trimCRLF(line))}
		}
		http10 := line[7] == '0'
		status := 0
		for _, d := range line[9:12] {
			if d < '0' || d > '9' {
				return 0, &h1ProtocolError{fmt.Sprintf("status line %q", trimCRLF(line))}
			}
			status = status*10 + int(d-'0')
		}
		if status < 100 || (len(line) > 12 && line[12] != ' ' && line[12] != '\r' && line[12] != '\n') {
			return 0, &h1ProtocolError{fmt.Sprintf("status line %q", trimCRLF(line))}
		}
		clen, chunked, connClose, keepAlive, err := cn.readHeader(rb)
		if err != nil {
			return status, err
		}
		keep := rb
		if rb != nil && !rb.wantBody {
			keep = nil // the body is discarded
		}
		if status >= 100 && status < 200 && status != 101 {
			continue // 100 Continue, 103 Early Hints: the response follows
		}
		if connClose || (http10 && !keepAlive) || status == 101 {
			cn.close = true
		}
		switch {
		case head || status == 204 || status == 304 || (status >= 100 && status < 200):
		case chunked:
			if err := cn.readChunked(keep); err != nil {
				return status, err
			}
		case clen >= 0:
			if err := keep.keep(br, clen); err != nil {
				return status, unexpectedEOF(err)
			}
		default: // delimited by the end of the connection
			cn.close = true
			if err := keep.keep(br, -1); err != nil {
				return status, err
			}
		}
		return status, nil
	}
}

func (cn *h1Conn) readHeader(rb *respBuf) (clen int64, chunked, connClose, keepAlive bool, err error) {
	br := &cn.br
	clen = -1
	total := 0
	for {
		line, err := br.ReadSlice('\n')
		total += len(line)
		if total > h1MaxHeader {
			return 0, false, false, false, &h1ProtocolError{"header larger than 1 MB"}
		}
		long := errors.Is(err, bufio.ErrBufferFull)
		if err != nil && !long {
			return 0, false, false, false, unexpectedEOF(err)
		}
		if !long && (len(line) == 2 && line[0] == '\r' || len(line) == 1) {
			return clen, chunked, connClose, keepAlive, nil
		}
		keepHdr := rb != nil && rb.wantHdr
		if keepHdr {
			rb.hdr = append(rb.hdr, line...) // a long line: its first piece
		}
		if i := bytes.IndexByte(line, ':'); i > 0 {
			name, val := line[:i], bytes.TrimSpace(line[i+1:])
			switch {
			case len(name) == 14 && bytes.EqualFold(name, []byte("Content-Length")):
				n, perr := strconv.ParseInt(string(val), 10, 64)
				if perr != nil || n < 0 {
					return 0, false, false, false, &h1ProtocolError{fmt.Sprintf("Content-Length %q", val)}
				}
				if clen >= 0 && n != clen {
					// Which one frames the body is ambiguous: reading by
					// either may desynchronize the connection.
					return 0, false, false, false, &h1ProtocolError{fmt.Sprintf("conflicting Content-Length %d and %d", clen, n)}
				}
				clen = n
			case len(name) == 17 && bytes.EqualFold(name, []byte("Transfer-Encoding")):
				chunked = hasToken(val, "chunked")
			case len(name) == 10 && bytes.EqualFold(name, []byte("Connection")):
				connClose = connClose || hasToken(val, "close")
				keepAlive = keepAlive || hasToken(val, "keep-alive")
			}
		}
		for long { // the rest of a line longer than the buffer: kept for captures, else skipped
			line, err = br.ReadSlice('\n')
			if keepHdr {
				rb.hdr = append(rb.hdr, line...)
			}
			total += len(line)
			if total > h1MaxHeader {
				return 0, false, false, false, &h1ProtocolError{"header larger than 1 MB"}
			}
			long = errors.Is(err, bufio.ErrBufferFull)
			if err != nil && !long {
				return 0, false, false, false, unexpectedEOF(err)
			}
		}
	}
}

func (cn *h1Conn) readChunked(rb *respBuf) error {
	br := &cn.br
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return unexpectedEOF(err)
		}
		var size int64
		digits := 0
		for _, c := range line {
			var v byte
			switch {
			case c >= '0' && c <= '9':
				v = c - '0'
			case c >= 'a' && c <= 'f':
				v = c - 'a' + 10
			case c >= 'A' && c <= 'F':
				v = c - 'A' + 10
			default:
				goto done
			}
			size = size<<4 | int64(v)
			digits++
			if digits > 15 {
				return &h1ProtocolError{"chunk size too large"}
			}
		}
	done:
		if digits == 0 {
			return &h1ProtocolError{fmt.Sprintf("chunk size line %q", trimCRLF(line))}
		}
		if size == 0 {
			_, _, _, _, err := cn.readHeader(nil) // trailers, then the blank line
			return err
		}
		if err := rb.keep(br, size); err != nil {
			return unexpectedEOF(err)
		}
		if _, err := br.Discard(2); err != nil {
			return unexpectedEOF(err)
		}
	}
}

func hasToken(v []byte, tok string) bool {
	for len(v) > 0 {
		var part []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			part, v = v[:i], v[i+1:]
		} else {
			part, v = v, nil
		}
		if bytes.EqualFold(bytes.TrimSpace(part), []byte(tok)) {
			return true
		}
	}
	return false
}

func trimCRLF(b []byte) []byte { return bytes.TrimRight(b, "\r\n") }

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED)
}
