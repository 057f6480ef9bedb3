// SPDX-License-Identifier: MIT
//
// Command porcupine-etcd checks Porcupine's 102 etcd console logs with Porcupine itself
// and prints the total check time, so bench-linear can print its ratio against a figure
// measured in the same run (bench/README.md). Parsing is not timed: only CheckEvents.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/anishathalye/porcupine"
)

// nilValue stands for the register's nil (never written) state.
const nilValue = -1000000

type registerInput struct {
	f    byte // 'r' read, 'w' write, 'c' cas
	arg1 int  // write: the value; cas: the expected value
	arg2 int  // cas: the new value
}

type registerOutput struct {
	ok      bool // cas: it succeeded
	value   int  // read: the value seen, nilValue for nil
	unknown bool // timed out: may or may not have taken effect
}

// registerModel is a compare-and-set register starting at nil, the rules of the etcd
// test in Porcupine's own test suite.
var registerModel = porcupine.Model{
	Init: func() interface{} { return nilValue },
	Step: func(state, input, output interface{}) (bool, interface{}) {
		current := state.(int)
		in := input.(registerInput)
		out := output.(registerOutput)
		switch in.f {
		case 'r':
			return out.unknown || out.value == current, current
		case 'w':
			return true, in.arg1
		}
		if in.arg1 != current {
			return out.unknown || !out.ok, current
		}
		return out.unknown || out.ok, in.arg2
	},
	Equal: func(a, b interface{}) bool { return a.(int) == b.(int) },
	// Hash spreads the cache over buckets (Porcupine's own models set it too).
	Hash: func(state interface{}) uint64 { return uint64(state.(int)) },
}

// parseValue reads "nil" or an integer.
func parseValue(text string) (int, error) {
	if text == "nil" {
		return nilValue, nil
	}
	return strconv.Atoi(text)
}

// parsePair reads "[a b]" split into fields "[a" and "b]".
func parsePair(first, second string) (int, int, error) {
	a, errA := strconv.Atoi(strings.TrimPrefix(first, "["))
	b, errB := strconv.Atoi(strings.TrimSuffix(second, "]"))
	if errA != nil || errB != nil {
		return 0, 0, fmt.Errorf("expected [old new], got %s %s", first, second)
	}
	return a, b, nil
}

// parseLog turns a Jepsen console log into Porcupine events. An op line is
// "... jepsen.util - <process> :<type> :<f> <value>"; other lines are skipped. A read that
// failed with :timed-out returns unknown; an :info op, or one still open at the end,
// returns unknown after everything (its process never comes back: Jepsen renumbers it).
func parseLog(path string) ([]porcupine.Event, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	var events []porcupine.Event
	open := map[int]int{} // process -> id of its open call
	id := 0
	scanner := bufio.NewScanner(file)
	for line := 1; scanner.Scan(); line++ {
		_, message, found := strings.Cut(scanner.Text(), "jepsen.util - ")
		fields := strings.Fields(message)
		if !found || len(fields) < 4 {
			continue
		}
		process, err := strconv.Atoi(fields[0])
		if err != nil {
			continue // the nemesis
		}
		kind, f := fields[1], fields[2]
		where := fmt.Sprintf("%s:%d", path, line)
		if kind == ":invoke" {
			in := registerInput{f: f[1]}
			switch f {
			case ":read":
			case ":write":
				in.arg1, err = strconv.Atoi(fields[3])
			case ":cas":
				if len(fields) < 5 {
					return nil, fmt.Errorf("%s: cas without [old new]", where)
				}
				in.arg1, in.arg2, err = parsePair(fields[3], fields[4])
			default:
				err = fmt.Errorf("unknown f %s", f)
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %v", where, err)
			}
			events = append(events, porcupine.Event{ClientId: process,
				Kind: porcupine.CallEvent, Value: in, Id: id})
			open[process] = id
			id++
			continue
		}
		call, isOpen := open[process]
		if !isOpen {
			return nil, fmt.Errorf("%s: completion without an invocation", where)
		}
		out := registerOutput{}
		switch {
		case kind == ":info":
			continue // returns unknown at the end
		case kind == ":fail" && f == ":read":
			out.unknown = true // timed out: Porcupine's test treats it so
		case kind == ":ok" && f == ":read":
			out.value, err = parseValue(fields[3])
		case f == ":cas":
			out.ok = kind == ":ok"
		case kind == ":ok" && f == ":write":
		default:
			err = fmt.Errorf("unexpected %s %s", kind, f)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", where, err)
		}
		events = append(events, porcupine.Event{ClientId: process,
			Kind: porcupine.ReturnEvent, Value: out, Id: call})
		delete(open, process)
	}
	if err := scanner.Err(); err != nil {
		return nil, err
	}
	for process, call := range open {
		events = append(events, porcupine.Event{ClientId: process,
			Kind: porcupine.ReturnEvent, Value: registerOutput{unknown: true}, Id: call})
	}
	return events, nil
}

// readExpected reads expected-etcd.tsv: "jepsen/etcd_NNN.log<TAB>linearizable|not-...".
func readExpected(path string) (map[string]bool, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	expected := map[string]bool{}
	for _, line := range strings.Split(string(text), "\n")[1:] {
		name, verdict, found := strings.Cut(line, "\t")
		if found {
			expected[filepath.Base(name)] = verdict == "linearizable"
		}
	}
	return expected, nil
}

func peakRSSKiB() int64 {
	var usage syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &usage) != nil {
		return -1
	}
	return usage.Maxrss
}

func main() {
	dir := flag.String("dir", "../../../shared/reference-histories/porcupine",
		"Porcupine's test data: jepsen/etcd_*.log and expected-etcd.tsv")
	verbose := flag.Bool("v", false, "print one line per file")
	flag.Parse()
	expected, err := readExpected(filepath.Join(*dir, "expected-etcd.tsv"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "porcupine-etcd:", err)
		os.Exit(70)
	}
	var total, slowest time.Duration
	slowestName := ""
	files, right := 0, 0
	for k := 0; k <= 102; k++ {
		name := fmt.Sprintf("etcd_%03d.log", k)
		want, known := expected[name]
		if !known {
			continue // etcd_095.log: empty, no verdict
		}
		events, err := parseLog(filepath.Join(*dir, "jepsen", name))
		if err != nil {
			fmt.Fprintln(os.Stderr, "porcupine-etcd:", err)
			os.Exit(70)
		}
		start := time.Now()
		got := porcupine.CheckEvents(registerModel, events)
		took := time.Since(start)
		total += took
		if took > slowest {
			slowest, slowestName = took, name
		}
		files++
		if got == want {
			right++
		}
		if *verbose {
			fmt.Printf("%s %5d events check %8.3f ms linearizable %v (expected %v)\n",
				name, len(events), ms(took), got, want)
		}
	}
	fmt.Printf("porcupine etcd: %d files, %d right, %d wrong, slowest %s %.1f ms, "+
		"peak RSS %d KB\n", files, right, files-right, slowestName, ms(slowest), peakRSSKiB())
	fmt.Printf("porcupine-etcd-check-ms %.1f\n", ms(total))
	if right != files {
		os.Exit(1)
	}
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
