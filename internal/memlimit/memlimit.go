// Package memlimit sizes the Go runtime's soft memory limit to the machine
// the program runs on.
//
// Why: a fixed 64 MiB limit sent the kiosk into a GC death spiral once its
// live heap neared it (issue 15: a restart with 160k tickets of the day took
// 230 s instead of 3 s, 3,000–6,700 GC cycles), while a limit is still
// wanted so that bursts (compactions, the daily backup) are handed back to
// a 1 GB Pi instead of kept.
//
// Invariants:
//   - The machine's memory is the lowest of the cgroup limits (v2
//     memory.max up the hierarchy, or v1 memory.limit_in_bytes) and
//     MemTotal from /proc/meminfo; "max" and absent files mean no limit.
//   - The automatic limit is half of it, never below Min (64 MiB).
//   - When the machine's memory cannot be read (no /proc, another OS) the
//     automatic limit is Fallback (512 MiB), which a kiosk's working set
//     does not reach.
package memlimit

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// Min is the lowest automatic limit.
const Min = 64 << 20

// Fallback is the automatic limit when the machine's memory is unknown.
const Fallback = 512 << 20

// Machine returns the memory this process may use and where that figure
// came from; ok is false when nothing could be read.
func Machine() (bytes int64, source string, ok bool) { return machine("/") }

func machine(root string) (int64, string, bool) {
	best, src := int64(math.MaxInt64), ""
	if n, ok := memTotal(filepath.Join(root, "proc/meminfo")); ok {
		best, src = n, "/proc/meminfo MemTotal"
	}
	if n, where, ok := cgroupLimit(root); ok && n < best {
		best, src = n, where
	}
	return best, src, src != ""
}

// Auto is the automatic limit: half the machine's memory, at least Min.
func Auto() (limit int64, why string) {
	n, src, ok := Machine()
	if !ok {
		return Fallback, "machine memory unknown"
	}
	return max(Min, n/2), fmt.Sprintf("half of %d MiB (%s)", n>>20, src)
}

// Parse reads a --memory-limit value: "auto" (or empty), "off", or a size
// such as 512MiB, 1GiB, 300MB or a number of bytes. off is -1.
func Parse(s string) (int64, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "auto":
		return 0, nil
	case "off", "none":
		return -1, nil
	}
	units := []struct {
		suffix string
		mult   int64
	}{{"gib", 1 << 30}, {"mib", 1 << 20}, {"kib", 1 << 10}, {"gb", 1e9}, {"mb", 1e6}, {"kb", 1e3}, {"g", 1 << 30}, {"m", 1 << 20}, {"k", 1 << 10}, {"b", 1}}
	low, mult := strings.ToLower(s), int64(1)
	for _, u := range units {
		if strings.HasSuffix(low, u.suffix) {
			low, mult = strings.TrimSpace(strings.TrimSuffix(low, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(low, 64)
	if err != nil || n <= 0 || n*float64(mult) > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q: want auto, off or a size such as 512MiB", s)
	}
	if v := int64(n * float64(mult)); v >= 16<<20 {
		return v, nil
	}
	return 0, fmt.Errorf("%q: below 16 MiB the runtime would collect without end", s)
}

func memTotal(file string) (int64, bool) {
	f, err := os.Open(file)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			return kb << 10, err == nil && kb > 0
		}
	}
	return 0, false
}

// cgroupLimit is the lowest memory limit of this process's cgroup and its
// ancestors.
func cgroupLimit(root string) (int64, string, bool) {
	b, err := os.ReadFile(filepath.Join(root, "proc/self/cgroup"))
	if err != nil {
		return 0, "", false
	}
	best, where := int64(math.MaxInt64), ""
	consider := func(file string) {
		v, err := os.ReadFile(file)
		if err != nil {
			return
		}
		s := strings.TrimSpace(string(v))
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 || n >= 1<<60 { // "max", or v1's "no limit" (a page-rounded MaxInt64)
			return
		}
		if n < best {
			best, where = n, file
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		var base, file string
		switch {
		case parts[0] == "0" && parts[1] == "": // v2
			base, file = filepath.Join(root, "sys/fs/cgroup"), "memory.max"
		case hasController(parts[1], "memory"): // v1
			base, file = filepath.Join(root, "sys/fs/cgroup/memory"), "memory.limit_in_bytes"
		default:
			continue
		}
		// The cgroup's own directory and each ancestor; inside a container
		// the path may not exist under its own namespace, and the root file
		// is then the container's limit.
		for p := path.Clean("/" + parts[2]); ; p = path.Dir(p) {
			consider(filepath.Join(base, p, file))
			if p == "/" {
				break
			}
		}
	}
	return best, where, where != ""
}

func hasController(list, name string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}
