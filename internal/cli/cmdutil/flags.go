package cmdutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/perfgate/perfgate/internal/atomicfile"
	"github.com/perfgate/perfgate/internal/results"
)

// DefaultConfig is the config path when -c is not given.
const DefaultConfig = "perfgate.yaml"

// ConfigFlag adds -c/--config.
func ConfigFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVarP(p, "config", "c", DefaultConfig, "config file")
}

// OutFlag adds -o/--out, the file a command writes.
func OutFlag(cmd *cobra.Command, p *string, usage string) {
	cmd.Flags().StringVarP(p, "out", "o", "", usage)
}

// CheckWritable makes sure a file can be written at path before a long run,
// so a typo costs a second, not a whole run. It accepts what
// atomicfile.Write can write: a regular file or a new one (its folder is
// created, and must let a file be created there: the write is a rename), a
// symbolic link (its target is checked), a device node or FIFO (it must be
// writable; it is not opened, since closing a FIFO would give its reader an
// end of file). A folder, or a folder that cannot be created (a file in
// the way), is exit 2. So is path naming one of inputs (the config it
// would overwrite), or a file this process holds open for appending (a
// `>> log` reached through /dev/stdout): writing replaces the whole file.
func CheckWritable(flag, path string, inputs ...string) error {
	target, err := atomicfile.Resolve(path)
	if err != nil {
		return BadInput(fmt.Errorf("%s %s: %w", flag, path, err))
	}
	shown := path
	if target != path {
		shown = fmt.Sprintf("%s (a link to %s)", path, target)
	}
	st, err := os.Stat(target)
	if err == nil {
		if err := notInput(flag, shown, st, inputs); err != nil {
			return err
		}
		if st.Mode().IsRegular() && openForAppend(path) {
			return BadInput(fmt.Errorf("%s %s: that is a file this command writes to in append mode (a >> redirection): "+
				"the results replace a file whole, and would drop what it holds; give %s a file of its own", flag, shown, flag))
		}
	}
	switch {
	case err == nil && st.IsDir():
		return BadInput(fmt.Errorf("%s %s is a folder; give a file name", flag, shown))
	case err == nil && atomicfile.InPlace(st.Mode()):
		if err := unix.Access(target, unix.W_OK); err != nil {
			return BadInput(fmt.Errorf("%s %s: cannot write there: %w", flag, shown, err))
		}
		return nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return BadInput(fmt.Errorf("%s %s: %w", flag, shown, err))
	}
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return BadInput(fmt.Errorf("%s %s: cannot create its folder: %w", flag, shown, err))
	}
	probe, err := os.CreateTemp(dir, ".perfgate-probe-*")
	if err != nil {
		return BadInput(fmt.Errorf("%s %s: cannot write there: %w", flag, shown, err))
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

// SaveResults writes res to path; if that fails, to a file in the temporary
// folder, so measured results are never lost. It returns where they went.
func SaveResults(path string, res *results.Results) (string, error) {
	err := results.Write(path, res)
	if err == nil {
		return path, nil
	}
	fallback := filepath.Join(os.TempDir(), fmt.Sprintf("perfgate-results-%s-%d.json", res.Name, time.Now().Unix()))
	if ferr := results.Write(fallback, res); ferr == nil {
		return fallback, EnvFailed(fmt.Errorf("writing results to %s: %w; they were saved to %s instead", path, err, fallback))
	}
	return "", EnvFailed(fmt.Errorf("writing results to %s: %w", path, err))
}

// notInput refuses an output that is one of the command's inputs.
func notInput(flag, shown string, st os.FileInfo, inputs []string) error {
	for _, in := range inputs {
		if in == "" {
			continue
		}
		if ist, err := os.Stat(in); err == nil && os.SameFile(st, ist) {
			return BadInput(fmt.Errorf("%s %s is %s, which this command reads: writing the results there would overwrite it; give another file", flag, shown, in))
		}
	}
	return nil
}

// ownFD matches a path that names one of this process's file descriptors.
var ownFD = regexp.MustCompile(`^/(?:proc/self|proc/thread-self|dev)/fd/(\d+)$`)

// openForAppend reports whether path reaches, through its links, a file
// descriptor of this process opened with O_APPEND (/dev/stdout of a
// command run as `perfgate ... >> log`).
func openForAppend(path string) bool {
	p := path
	for range 40 {
		if m := ownFD.FindStringSubmatch(p); m != nil {
			fd, err := strconv.Atoi(m[1])
			if err != nil {
				return false
			}
			fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
			return err == nil && fl&unix.O_APPEND != 0
		}
		target, err := os.Readlink(p)
		if err != nil {
			return false
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(p), target)
		}
		p = target
	}
	return false
}

// WrittenInPlace reports whether path is a device, FIFO or socket (or a
// link to one): it is written once, in place, and whoever reads it sees
// every write, so a command writes it once, at the end.
func WrittenInPlace(path string) bool {
	st, err := os.Stat(path)
	return err == nil && atomicfile.InPlace(st.Mode())
}
