package benchproxy

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// tick is the unit of CPU times in /proc: USER_HZ, 100 on Linux.
const tick = 10 * time.Millisecond

// memory reads a /proc/<pid>/status field in kB (VmRSS, VmHWM).
func (p *process) memory(field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, p.cmd.Process.Pid)
}

// cpu is the process's user+system CPU time so far.
func (p *process) cpu() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// The command name in parentheses may contain spaces; utime and stime
	// are the 12th and 13th fields after it.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat: %q", p.cmd.Process.Pid, b)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat: %q", p.cmd.Process.Pid, b)
	}
	return sumTicks(f[11:13])
}

// selfCPU is this process's user+system CPU time so far: the client's.
func selfCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// machineBusy is the CPU time all CPUs have spent on anything but idling
// or waiting for I/O since boot. Steal is left out: it is time the
// hypervisor gave to other guests, which no process here used.
func machineBusy() (time.Duration, error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0, fmt.Errorf("empty /proc/stat: %v", sc.Err())
	}
	// cpu user nice system idle iowait irq softirq steal ...
	fields := strings.Fields(sc.Text())
	if len(fields) < 8 || fields[0] != "cpu" {
		return 0, fmt.Errorf("unexpected first line of /proc/stat: %q", sc.Text())
	}
	return sumTicks([]string{fields[1], fields[2], fields[3], fields[6], fields[7]})
}

func sumTicks(fields []string) (time.Duration, error) {
	var ticks int64
	for _, s := range fields {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += n
	}
	return time.Duration(ticks) * tick, nil
}

// cpuUse is CPU time spent by each party to a pull, and by everything else
// on the machine in the meantime.
type cpuUse struct {
	upstream, proxy, client, others time.Duration
}

// ours is the CPU time of the processes taking part in a pull.
func (u cpuUse) ours() time.Duration { return u.upstream + u.proxy + u.client }

// cpuSnapshot is CPU time used so far by the parties to a pull and by the
// whole machine.
type cpuSnapshot struct {
	upstream, proxy, client, machine time.Duration
}

// cpuClock reads the CPU times of the parties to a pull.
type cpuClock struct{ upstream, proxy *process }

func (c cpuClock) snapshot() (cpuSnapshot, error) {
	var s cpuSnapshot
	var err error
	if s.upstream, err = c.upstream.cpu(); err != nil {
		return s, err
	}
	if s.proxy, err = c.proxy.cpu(); err != nil {
		return s, err
	}
	if s.client, err = selfCPU(); err != nil {
		return s, err
	}
	s.machine, err = machineBusy()
	return s, err
}

// cpuBetween is the CPU time used from snapshot a to snapshot b.
func cpuBetween(a, b cpuSnapshot) cpuUse {
	u := cpuUse{
		upstream: b.upstream - a.upstream,
		proxy:    b.proxy - a.proxy,
		client:   b.client - a.client,
	}
	// The machine's busy time includes ours; ticks are coarse, so the
	// difference can come out slightly negative.
	u.others = max(b.machine-a.machine-u.ours(), 0)
	return u
}
