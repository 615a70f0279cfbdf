// Package atomicfile writes a file so that a reader sees either the old
// file or the whole new one, never half of it.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// maxLinks bounds how many symbolic links Resolve follows (as the kernel's
// ELOOP limit does).
const maxLinks = 40

// Resolve follows path through symbolic links to the file they name, which
// need not exist yet (a dangling link names the file it would create). A
// relative link target is taken relative to the link's folder. A path that
// is not a link is returned as it is.
func Resolve(path string) (string, error) {
	p := path
	for range maxLinks {
		st, err := os.Lstat(p)
		if err != nil || st.Mode()&fs.ModeSymlink == 0 {
			// Not a link (or nothing there, or a folder in the way):
			// whoever opens it reports any problem.
			return p, nil
		}
		target, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(p), target)
		}
		if _, err := os.Lstat(target); errors.Is(err, fs.ErrNotExist) {
			if _, err := os.Stat(p); err == nil {
				// A link whose text names nothing, yet the kernel follows
				// it: /proc/self/fd/1 reads "pipe:[1234]" when stdout is a
				// pipe. The link itself is the way to the file.
				return p, nil
			}
		}
		p = target
	}
	return "", fmt.Errorf("%s: more than %d symbolic links in a row (a loop?)", path, maxLinks)
}

// InPlace reports whether a file of mode m is written where it is (a device
// node, FIFO or socket: there is nothing to replace atomically, and a rename
// would swap the node for a regular file) rather than through a temporary
// file renamed over it.
func InPlace(m fs.FileMode) bool {
	return m&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0
}

// Write stores data at path.
//
// A regular file (or a new one) is written atomically: a temporary file in
// the same folder, synced, renamed over path, and the folder synced so the
// rename is durable. The folder is created if needed; on any error the
// temporary file is removed and path is untouched.
//
// A symbolic link is followed: its target is written (atomically, if a
// regular file) and the link is kept. A device node or FIFO is opened and
// written in place, never replaced; opening a FIFO waits for its reader. Every
// write error (ENOSPC from /dev/full, EPIPE from a FIFO whose reader left) is
// returned. A folder is refused.
func Write(path string, data []byte, perm os.FileMode) error {
	target, err := Resolve(path)
	if err != nil {
		return fmt.Errorf("cannot follow %s: %w", path, err)
	}
	st, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return writeAtomic(target, data, perm)
	case err != nil:
		return err
	case st.IsDir():
		return fmt.Errorf("%s is a folder; give a file name", describe(path, target))
	case InPlace(st.Mode()):
		return writeInPlace(target, data)
	default:
		return writeAtomic(target, data, perm)
	}
}

// describe names path, and its target when path is a link.
func describe(path, target string) string {
	if path == target {
		return path
	}
	return fmt.Sprintf("%s (a link to %s)", path, target)
}

// writeInPlace writes data into an existing device node or FIFO.
func writeInPlace(path string, data []byte) error {
	// O_TRUNC is ignored by devices and FIFOs; no O_CREATE: it exists, and
	// must never become a regular file.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("cannot open %s for writing: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", path, err)
	}
	return nil
}

func writeAtomic(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create folder %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot create a temporary file in %s: %w", dir, err)
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", tmpName, err)
	}
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", tmpName, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmpName, err)
	}
	if err = os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	// Make the rename durable; not every platform can sync a folder.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
