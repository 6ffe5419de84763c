package runfolder

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// LockFile is the lock a training holds on its run folder: it names the process.
const LockFile = "lock"

// heldLocks are the run folders this process has locked (by absolute path), so that a second Lock
// of the same folder in the same process (the command, then Fit) is a no-op instead of a deadlock.
var (
	heldMu    sync.Mutex
	heldLocks = map[string]*os.File{}
)

// Lock locks the run folder for writing, so that two trainings never write one folder: it creates
// the folder if needed and takes an exclusive lock on its LockFile, which names this process. The
// lock is the operating system's (flock), so a process that dies loses it: a lock file left by a
// dead process is taken over, and note says so ("" otherwise). Another live process holding it is
// an error naming that process. unlock releases the lock and removes the file.
func (r Folder) Lock() (unlock func(), note string, err error) {
	abs, err := filepath.Abs(r.Dir)
	if err != nil {
		return nil, "", err
	}
	heldMu.Lock()
	defer heldMu.Unlock()
	if _, ok := heldLocks[abs]; ok {
		return func() {}, "", nil
	}
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		return nil, "", err
	}
	path := filepath.Join(abs, LockFile)
	var f *os.File
	for attempt := 0; ; attempt++ {
		if f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644); err != nil {
			return nil, "", fmt.Errorf("locking %s: %w", r.Dir, err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			holder := readLockHolder(f)
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, "", fmt.Errorf("%s is being written by another training (%s): wait for it to finish, or use another --out", r.Dir, holder)
			}
			return nil, "", fmt.Errorf("locking %s: %w", r.Dir, err)
		}
		// The holder removes the file as it unlocks: a lock won on a file that is no longer at path
		// is worth nothing (a third process may lock a new file there), so try again.
		if fi, err1 := f.Stat(); err1 == nil {
			if pi, err2 := os.Stat(path); err2 == nil && os.SameFile(fi, pi) {
				break
			}
		}
		f.Close()
		if attempt == 10 {
			return nil, "", fmt.Errorf("locking %s: the lock file keeps changing", r.Dir)
		}
	}
	if prev := readLockHolder(f); prev != "" {
		note = fmt.Sprintf("%s: took over the lock of %s, which is no longer running", r.Dir, prev)
	}
	host, _ := os.Hostname()
	content := fmt.Sprintf("pid %d\nhost %s\nstarted %s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(content), 0)
	}
	heldLocks[abs] = f
	return func() {
		heldMu.Lock()
		defer heldMu.Unlock()
		if heldLocks[abs] != f {
			return
		}
		delete(heldLocks, abs)
		// Removed while still locked: a process that opens the old file now fails to lock nothing
		// it could confuse with a live run, and the folder is left without a lock file.
		_ = os.Remove(path)
		_ = f.Close()
	}, note, nil
}

// readLockHolder describes the process a lock file names ("process 123 on host, started ..."), or
// "" for an empty file.
func readLockHolder(f *os.File) string {
	buf := make([]byte, 512)
	n, _ := f.ReadAt(buf, 0)
	fields := map[string]string{}
	for _, line := range strings.Split(string(buf[:n]), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok {
			fields[k] = v
		}
	}
	pid, err := strconv.Atoi(fields["pid"])
	if err != nil {
		return ""
	}
	s := fmt.Sprintf("process %d", pid)
	if h := fields["host"]; h != "" {
		s += " on " + h
	}
	if t := fields["started"]; t != "" {
		s += ", started " + t
	}
	return s
}
