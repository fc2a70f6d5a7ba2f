package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// memCgroup is a memory cgroup this tool made for one kiosk: the stand-in
// for a 512 MB Pi (or a container with that limit). The kiosk must see the
// limit the way it would there: in /proc/self/cgroup and the limit file,
// which internal/memlimit reads.
type memCgroup struct {
	dir   string
	v2    bool
	limit int64
}

// memCgroupBase says where a memory cgroup can be made here, or why not.
// cgroup v1's memory hierarchy is preferred when mounted (this machine),
// then a unified (v2) hierarchy that has the memory controller.
func memCgroupBase() (dir string, v2 bool, err error) {
	var why []string
	v1 := "/sys/fs/cgroup/memory"
	if fileExists(filepath.Join(v1, "memory.limit_in_bytes")) {
		if writable(v1) {
			return v1, false, nil
		}
		why = append(why, fmt.Sprintf("cgroup v1 memory hierarchy %s is not writable (not root?)", v1))
	}
	for _, u := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		b, rerr := os.ReadFile(filepath.Join(u, "cgroup.controllers"))
		if rerr != nil {
			continue
		}
		if !strings.Contains(" "+strings.TrimSpace(string(b))+" ", " memory ") {
			why = append(why, fmt.Sprintf("cgroup v2 at %s has no memory controller (has %q)", u, strings.TrimSpace(string(b))))
			continue
		}
		if !writable(u) {
			why = append(why, fmt.Sprintf("cgroup v2 at %s is not writable", u))
			continue
		}
		// Children get the memory controller only when the parent delegates it.
		sub := filepath.Join(u, "cgroup.subtree_control")
		if s, _ := os.ReadFile(sub); !strings.Contains(string(s), "memory") {
			if werr := os.WriteFile(sub, []byte("+memory"), 0); werr != nil {
				why = append(why, fmt.Sprintf("cgroup v2 at %s: cannot enable memory for children: %v", u, werr))
				continue
			}
		}
		return u, true, nil
	}
	if len(why) == 0 {
		why = append(why, "no cgroup v1 memory hierarchy and no cgroup v2 mount")
	}
	return "", false, errors.New(strings.Join(why, "; "))
}

func writable(dir string) bool {
	d, err := os.MkdirTemp(dir, ".kysobench-probe-")
	if err != nil {
		return false
	}
	os.Remove(d)
	return true
}

// newMemCgroup makes <base>/kysobench-<pid>-<tag> limited to limit bytes, swap included.
func newMemCgroup(tag string, limit int64) (*memCgroup, error) {
	base, v2, err := memCgroupBase()
	if err != nil {
		return nil, err
	}
	cg := &memCgroup{dir: filepath.Join(base, fmt.Sprintf("kysobench-%d-%s", os.Getpid(), tag)), v2: v2, limit: limit}
	if err := os.Mkdir(cg.dir, 0o755); err != nil {
		return nil, err
	}
	n := strconv.FormatInt(limit, 10)
	var files []string
	if v2 {
		files = []string{"memory.max", "memory.swap.max"}
	} else {
		// memsw must stay ≥ the memory limit: memory first.
		files = []string{"memory.limit_in_bytes", "memory.memsw.limit_in_bytes"}
	}
	for i, f := range files {
		p := filepath.Join(cg.dir, f)
		val := n
		if v2 && f == "memory.swap.max" {
			val = "0"
		}
		if i > 0 && !fileExists(p) {
			continue // no swap accounting: nothing to limit
		}
		if err := os.WriteFile(p, []byte(val), 0); err != nil {
			cg.remove()
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	return cg, nil
}

func (c *memCgroup) String() string {
	v := "v1"
	if c.v2 {
		v = "v2"
	}
	return fmt.Sprintf("%s (cgroup %s, %d MiB)", c.dir, v, c.limit>>20)
}

// wrap returns argv that puts itself into the cgroup and then execs bin, so
// the kiosk is inside from its first instruction (same pid as the shell).
func (c *memCgroup) wrap(bin string, args []string) (string, []string) {
	script := `echo $$ > "$1" && shift && exec "$@"`
	return "/bin/sh", append([]string{"-c", script, "kysobench-cg", filepath.Join(c.dir, "cgroup.procs"), bin}, args...)
}

func (c *memCgroup) readInt(file string) int64 {
	b, err := os.ReadFile(filepath.Join(c.dir, file))
	if err != nil {
		return -1
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// usage is the cgroup's charge now: anon memory and page cache the kiosk read.
func (c *memCgroup) usage() int64 {
	if c.v2 {
		return c.readInt("memory.current")
	}
	return c.readInt("memory.usage_in_bytes")
}

// peak is the highest charge so far; -1 when the kernel does not keep it.
func (c *memCgroup) peak() int64 {
	if c.v2 {
		return c.readInt("memory.peak")
	}
	return c.readInt("memory.max_usage_in_bytes")
}

// failcnt counts how often the charge hit the limit (v1; the kernel then
// reclaims page cache first, so this alone is not an OOM).
func (c *memCgroup) failcnt() int64 {
	if c.v2 {
		return c.keyed("memory.events", "max")
	}
	return c.readInt("memory.failcnt")
}

// oomKills is how many processes the OOM killer ended in the cgroup.
func (c *memCgroup) oomKills() int64 {
	if c.v2 {
		return c.keyed("memory.events", "oom_kill")
	}
	return c.keyed("memory.oom_control", "oom_kill")
}

func (c *memCgroup) keyed(file, key string) int64 {
	b, err := os.ReadFile(filepath.Join(c.dir, file))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == key {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return -1
}

// remove deletes the cgroup once its processes are gone.
func (c *memCgroup) remove() error {
	var err error
	for range 50 {
		if err = os.Remove(c.dir); err == nil || errors.Is(err, os.ErrNotExist) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}
